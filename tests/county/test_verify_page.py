"""The county's verify page, which a publication's QR code opens: a laptop's signed
publication, through the county's public database, checked against the key the county
registered. Altered, forged, unknown, revoked: each shown as not verified, with why."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup
from starlette.testclient import TestClient

import sync
from county.provisioned import PASSWORD, County, provision
from village_app import repo
from village_app.bundle.keys import CountyKeys, laptop_keys
from village_app.county.keyring import revoke
from village_app.domain import Matter, Publication, StageRecord, Village
from village_app.domain.publicity import twin_id
from village_app.web import Settings, create_app
from village_app.web.county.verify import VerifyPage

pytestmark = pytest.mark.peer


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


async def _publish(county: County, laptop_dir: Path) -> str:
    """A council matter published by a laptop with its key, synced to the county; the
    matter's id once its twin is in the public database."""
    code = county.village_a
    author = county.accounts["secretary_a"]
    db = await sync.open_database(str(laptop_dir / f"{code}.sqlite"))
    caches = repo.VillageCaches(signer=laptop_keys(laptop_dir, code))
    store = repo.VillageStore(db, code, repo.Actor(author), caches)
    await store.save_village(Village(code, "甲村", "甲镇", "测试县"))
    matter = await store.create_matter(
        Matter(kind="council", title="修缮祠堂", body="worthies_association", year=2026)
    )
    from datetime import datetime

    from village_app.domain import SHANGHAI, Attendance, Vote

    t = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    for record in (
        StageRecord(matter.id, "council_proposal", held_at=t, content="提议"),
        StageRecord(
            matter.id, "deliberation", held_at=t, attendance=Attendance(5, 4), content="纪要"
        ),
        StageRecord(
            matter.id, "council_vote", held_at=t, attendance=Attendance(5, 4), vote=Vote(3, 1)
        ),
        StageRecord(matter.id, "council_resolution", held_at=t, content="同意修缮祠堂"),
        StageRecord(
            matter.id,
            "council_publication",
            content="公告",
            publication=Publication("修缮祠堂公告", "村务公开栏", t),
        ),
    ):
        await store.append_stage_record(matter.id, record)
    scheme, rest = county.base.split("://", 1)
    await sync.replicate(db, f"{scheme}://{author}:{PASSWORD}@{rest}/{county.db(code)}")
    await db.close()
    url = f"{county.url}/{county.public_db(code)}/{twin_id(matter.id)}"
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(300):
            if (await client.get(url)).status_code == 200:
                return matter.id
            await asyncio.sleep(0.1)
    raise AssertionError("the publication did not reach the public database")


def _client(county: County, tmp_path: Path, keys: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "county-data",
        mode="county",
        couch_url=county.url,
        registry=county.registry,
        index_dir=tmp_path / "index",
        follow_index=False,
        db_prefix=county.prefix,
        keys_dir=keys,
    )
    return TestClient(create_app(settings))


def _page(client: TestClient, county: County, matter_id: str, digest: str) -> VerifyPage:
    response = client.get("/verify", params={"v": county.village_a, "m": matter_id, "h": digest})
    assert response.status_code == 200
    page: VerifyPage = response.context["page"]  # type: ignore[attr-defined]
    return page


def _twin(county: County, matter_id: str) -> dict[str, Any]:
    url = f"{county.url}/{county.public_db(county.village_a)}/{twin_id(matter_id)}"
    return dict(httpx.get(url, timeout=30).json())


def test_signed_altered_forged_unknown_revoked(county: County, tmp_path: Path) -> None:
    laptop_dir = tmp_path / "laptop"
    laptop_dir.mkdir()
    matter_id = asyncio.run(_publish(county, laptop_dir))
    keys_dir = tmp_path / "county-keys"
    key = CountyKeys(keys_dir).register(laptop_keys(laptop_dir, county.village_a).public.to_text())
    twin = _twin(county, matter_id)
    digest = twin["signature"]["hash"]
    with _client(county, tmp_path, keys_dir) as client:
        page = _page(client, county, matter_id, digest)
        assert page.verdict is not None and page.verdict.verified, page.verdict
        assert page.verdict.key == key.fingerprint and page.publication is not None
        assert page.publication.title == "修缮祠堂" and page.later is None
        # A QR code whose hash the county has no publication for (a notice made up).
        assert _page(client, county, matter_id, "0" * 64).verdict.code == "not_found"  # type: ignore[union-attr]
        # Someone with the county's administrator account changes the text after signing.
        url = f"{county.url}/{county.public_db(county.village_a)}/{twin_id(matter_id)}"
        altered = {**twin, "title": "修缮祠堂（另有安排）"}
        assert httpx.put(url, json=altered, timeout=30).status_code == 201
        page = _page(client, county, matter_id, digest)
        assert page.verdict is not None and page.verdict.code == "altered"
    # The key unknown to this county (another key folder).
    with _client(county, tmp_path, tmp_path / "no-keys") as client:
        assert _page(client, county, matter_id, digest).verdict.code == "altered"  # type: ignore[union-attr]
    # A forged signature: a twin signed by some other key under the laptop's fingerprint.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from village_app.domain.signing import sign

    forged_id = f"matter:{county.village_a}:{uuid.uuid4().hex[:20].upper()}"
    forged = {**{k: v for k, v in twin.items() if k not in ("_rev", "signature")}}
    forged["_id"] = twin_id(forged_id)
    forged["signature"] = sign(
        forged, Ed25519PrivateKey.generate(), key.fingerprint, "2026-03-09T00:00:00.000Z"
    )
    url = f"{county.url}/{county.public_db(county.village_a)}/{forged['_id']}"
    assert httpx.put(url, json=forged, timeout=30).status_code == 201
    with _client(county, tmp_path, keys_dir) as client:
        page = _page(client, county, forged_id, forged["signature"]["hash"])
        assert page.verdict is not None and page.verdict.code == "forged"
    with _client(county, tmp_path, tmp_path / "no-keys") as client:
        page = _page(client, county, forged_id, forged["signature"]["hash"])
        assert page.verdict is not None and page.verdict.code == "unknown_key"
    # The laptop is lost: its key revoked before it signed.
    revoke(keys_dir, key.fingerprint, "2000-01-01T00:00:00.000Z")
    original = {**twin, "_rev": _twin(county, matter_id)["_rev"]}
    assert (
        httpx.put(
            url.replace(forged["_id"], twin_id(matter_id)), json=original, timeout=30
        ).status_code
        == 201
    )
    with _client(county, tmp_path, keys_dir) as client:
        page = _page(client, county, matter_id, digest)
        assert page.verdict is not None and page.verdict.code == "revoked"
        soup = client.get("/verify", params={"v": county.village_a, "m": matter_id, "h": digest})
        assert 'data-code="revoked"' in soup.text


def test_without_an_address_it_explains_itself(county: County, tmp_path: Path) -> None:
    with _client(county, tmp_path, tmp_path / "keys") as client:
        response = client.get("/verify")
        assert response.status_code == 200 and 'id="verify-help"' in response.text
        assert client.get("/verify", params={"v": "x", "m": "y", "h": "z"}).status_code == 200
