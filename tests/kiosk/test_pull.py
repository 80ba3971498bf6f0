"""``kiosk pull``: the public database into the kiosk's store, with the kiosk account's
credentials, twins only; anything off the allow-list is refused and kept aside."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import ROOT, PeerCleanup
from county.provisioned import PASSWORD, County, provision

import sync
from village_app.domain import is_shown
from village_app.kiosk.pull import KioskFolder, pull, read_status, village_of

pytestmark = pytest.mark.peer


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


def _kiosk_url(county: County, code: str | None = None) -> str:
    scheme, rest = county.base.split("://", 1)
    db = county.public_db(code or county.village_a)
    return f"{scheme}://{county.accounts['kiosk_a']}:{PASSWORD}@{rest}/{db}"


def _twin(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"public_matter:{code}:{uuid.uuid4().hex}",
        "type": "public_matter",
        "village": code,
        "title": "修村道",
        **fields,
    }


async def _put_public(county: County, *docs: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for doc in docs:
            url = f"{county.url}/{county.public_db(county.village_a)}/{doc['_id']}"
            response = await client.put(url, json=doc)
            assert response.status_code == 201, response.text


def test_the_village_is_read_from_the_address() -> None:
    assert village_of("https://k:p@county/village_990101001001_public") == "990101001001"
    assert village_of("http://h/cunyi_test_x_village_990101001001_public/") == "990101001001"
    assert village_of("http://h/village_990101001001") is None


async def test_a_pull_takes_the_public_twins(county: County, tmp_path: Path) -> None:
    shown, withdrawn = _twin(county.village_a), _twin(county.village_a, withdrawn=True)
    del withdrawn["title"]
    await _put_public(county, shown, withdrawn)
    folder = KioskFolder(tmp_path / "kiosk")
    result = await pull(folder, _kiosk_url(county))
    assert result.written == 2 and result.refused == 0
    store = await sync.open_database(str(folder.store_path))
    try:
        doc = await store.get(shown["_id"])
        assert is_shown(doc, county.village_a)
        status = await read_status(store)
        assert status is not None and status.village == county.village_a
        assert status.last_contact is not None and PASSWORD not in status.source
    finally:
        await store.close()


async def test_the_kiosk_account_opens_no_other_database(county: County, tmp_path: Path) -> None:
    folder = KioskFolder(tmp_path / "kiosk")
    scheme, rest = county.base.split("://", 1)
    private = (
        f"{scheme}://{county.accounts['kiosk_a']}:{PASSWORD}@{rest}/{county.db(county.village_a)}"
    )
    with pytest.raises(sync.CouchError):
        await pull(folder, private, village=county.village_a)
    with pytest.raises(sync.CouchError):
        await pull(KioskFolder(tmp_path / "other"), _kiosk_url(county, county.village_b))


async def test_what_is_not_on_the_list_is_refused_and_kept_aside(tmp_path: Path) -> None:
    """A public database that lets anything in (a county server set up by hand, an older
    version): the kiosk's own check refuses it."""
    code = "990101001001"
    source = await sync.open_database(str(tmp_path / f"village_{code}_public.sqlite"))
    good = _twin(code)
    bad = [
        _twin(code, phone="13800000000"),
        {"_id": f"member_private:{code}:x", "type": "member_private", "village": code}
        | {"phone": "13800000000"},
        _twin(code, stages=[{"stage": "resolution", "by_name": [["林国强", "for"]]}]),
        {**_twin(code), "village": "990101002001"},
    ]
    await source.bulk_docs([good, *bad])
    await source.close()
    folder = KioskFolder(tmp_path / "kiosk")
    result = await pull(folder, str(tmp_path / f"village_{code}_public.sqlite"), village=code)
    # The selector already leaves out what is not a twin; the guard refuses the rest.
    assert result.written == 1 and result.refused == 3
    store = await sync.open_database(str(folder.store_path))
    kept = await sync.open_database(str(folder.quarantine_path))
    try:
        ids = {r["id"] for r in (await store.all_docs())["rows"]}
        assert ids == {good["_id"]}
        assert "13800000000" not in repr((await store.all_docs(include_docs=True))["rows"])
        assert (await kept.info())["doc_count"] == 3
    finally:
        await store.close()
        await kept.close()


def test_the_command(county: County, tmp_path: Path) -> None:
    asyncio.run(_put_public(county, _twin(county.village_a)))
    data = tmp_path / "kiosk"
    url = _kiosk_url(county)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "village_app.cli", "kiosk", "pull", "--data", str(data), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=os.environ,
        )

    done = cli("--from", url)
    assert done.returncode == 0, done.stderr
    assert "1 written" in done.stdout and PASSWORD not in done.stdout
    assert (data / ".kiosk-source").stat().st_mode & 0o077 == 0
    again = cli()  # the address was kept
    assert again.returncode == 0 and "0 written" in again.stdout
    nowhere = cli("--from", "http://127.0.0.1:9/nothing")
    assert nowhere.returncode == 2 and "--village" in nowhere.stderr


def test_a_running_kiosk_follows_the_county(county: County, tmp_path: Path) -> None:
    """serve --mode kiosk pulls continuously: a publication that reaches the public database
    while the kiosk runs shows on its pages, and its 最后更新 is set."""
    import time

    from starlette.testclient import TestClient

    from village_app.web import Settings, create_app

    folder = KioskFolder(tmp_path / "kiosk")
    folder.save_source(_kiosk_url(county))
    app = create_app(Settings(data_dir=folder.data_dir, mode="kiosk"))
    with TestClient(app) as client:
        twin = _twin(county.village_a, title="新修的村道", published_on="2026-03-05")
        asyncio.run(_put_public(county, twin))
        for _ in range(300):
            # Both: 最后更新 is set when the pass that brought the publication ends.
            page = client.get("/").context["page"]  # type: ignore[attr-defined]
            if "新修的村道" in client.get("/resolutions").text and page.frame.last_update:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the running kiosk did not pull the new publication")
        assert page.frame.last_update is not None and not page.frame.out_of_touch
