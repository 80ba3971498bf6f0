"""A villager's rating at the kiosk, to the county's dashboard, through the real peer (issue 13).

The kiosk account's one write is its own inbox (``kiosk_<code>_<account>_ratings``, made by
``county init`` for each kiosk in the registry): what it can and cannot do there and anywhere
else, as a table of operations done over HTTP with its credentials, as the kiosk would; the
inbox's ``validate_doc_update`` and its Python mirror refuse the same documents. Then the
whole way: ratings kept at the kiosk while it is offline, pushed with the replicator, merged by
the county indexer into the village's database, counted on the services dashboard, and a
kiosk giving more than 30 in one day flagged there (30 is not)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup
from starlette.testclient import TestClient
from web.helpers import csrf_of, soup

import sync
from county.dbupdates_proxy import DbUpdatesProxy
from county.provisioned import PASSWORD, County, provision
from sync.couch_http import split_url
from sync.couch_server import CouchServer
from village_app import repo
from village_app.cli import main
from village_app.county import roles, services_index
from village_app.county.index import CountyIndex
from village_app.county.indexer import CountyIndexer
from village_app.county.provision import init_county
from village_app.county.registry import Staff
from village_app.domain.dates import now_utc, to_shanghai
from village_app.domain.services import OrgRef, Project
from village_app.domain.services.public import check_kiosk_rating
from village_app.kiosk.pull import KioskFolder
from village_app.kiosk.ratings import RatingBox, push
from village_app.repo.docs import services as sdocs
from village_app.web import Settings, create_app

pytestmark = pytest.mark.peer

#: What the inbox's validate_doc_update refuses with (validate_inbox.js).
INBOX_CODES = frozenset(
    {
        "kiosk_only",
        "not_a_document",
        "design",
        "deleted",
        "evidence_changed",
        "field",
        "type",
        "village",
        "id",
        "source",
        "device",
        "project",
        "scores",
        "date",
        "readers_only",  # the public database's, for the kiosk's one try there
    }
)


@dataclasses.dataclass
class Setup:
    county: County
    second_kiosk: str  # another kiosk of the same village
    project_id: str


@pytest.fixture
async def setup(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[Setup]:
    async for county in provision(couch_url, peer_cleanup):
        second = peer_cleanup.user_name()
        registry = dataclasses.replace(
            county.registry,
            staff=(*county.registry.staff, Staff(second, second, "kiosk", county.village_a)),
        )
        code = county.village_a
        project = Project(
            "上门义诊", "", OrgRef("service_org:x:o1", "仁和医院"), "charity", date(2026, 1, 5)
        )
        doc = sdocs.project_to_doc(code, project, repo.Actor(county.accounts["county"]))
        try:
            async with CouchServer(county.url) as server:
                # county init again, with a second kiosk in the registry: its inbox is made.
                report = await init_county(
                    server, registry, prefix=county.prefix, publisher=county.accounts["publisher"]
                )
                assert roles.kiosk_inbox(code, second, county.prefix) in report.created
                await server.put_user(second, PASSWORD, [roles.kiosk_role(code)])
                db = await server.database(county.db(code), create=False)
                try:
                    await db.put(doc)
                finally:
                    await db.close()
            yield Setup(dataclasses.replace(county, registry=registry), second, str(doc["_id"]))
        finally:
            peer_cleanup.delete_user(second)


def _rating(setup: Setup, kiosk: str, **changes: Any) -> dict[str, Any]:
    return _rating_doc(setup.county.village_a, setup.project_id, kiosk, changes)


def _rating_doc(code: str, project: str, kiosk: str, changes: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": f"service_rating:{code}:{uuid.uuid4().hex}",
        "type": "service_rating",
        "village": code,
        "created_at": "2026-11-30T02:00:00.000Z",
        "created_by": kiosk,
        "project_id": project,
        "scores": {"close": 5, "filial": 4},
        "collected_on": "2026-11-30",
        "source": "kiosk",
        "device": kiosk,
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def _outcome(response: httpx.Response) -> str:
    if response.is_success:
        return "ok"
    try:
        body = response.json()
    except ValueError:
        body = {}
    reason = str(body.get("reason", "")) if isinstance(body, dict) else ""
    code = reason.split(":", 1)[0]
    if response.status_code in (401, 403):
        return code if code in INBOX_CODES else "denied"
    return f"HTTP {response.status_code}: {reason}"


def _url(county: County, db: str, path: str = "") -> str:
    return f"{county.base}/{db}{path}"


async def _operations(setup: Setup, kiosk: str, client: httpx.AsyncClient) -> dict[str, str]:
    """Each operation, done as the kiosk account ``kiosk`` would do it."""
    county = setup.county
    code, other = county.village_a, county.village_b
    auth = (kiosk, PASSWORD)
    own = roles.kiosk_inbox(code, kiosk, county.prefix)
    second = roles.kiosk_inbox(code, setup.second_kiosk, county.prefix)
    first = roles.kiosk_inbox(code, county.accounts["kiosk_a"], county.prefix)
    neighbour = second if kiosk != setup.second_kiosk else first
    someone = setup.second_kiosk if kiosk != setup.second_kiosk else county.accounts["kiosk_a"]

    async def put(db: str, doc: dict[str, Any]) -> str:
        return _outcome(await client.put(_url(county, db, f"/{doc['_id']}"), json=doc, auth=auth))

    async def get(db: str, path: str) -> str:
        return _outcome(await client.get(_url(county, db, path), auth=auth))

    kept = _rating(setup, kiosk)
    out: dict[str, str] = {}
    out["rate into its inbox"] = await put(own, kept)
    current = (await client.get(_url(county, own, f"/{kept['_id']}"), auth=auth)).json()
    out["read its inbox"] = await get(own, f"/{kept['_id']}")
    out["change a rating"] = await put(own, {**current, "scores": {"close": 1}})
    out["delete a rating"] = _outcome(
        await client.delete(
            _url(county, own, f"/{kept['_id']}"), params={"rev": current["_rev"]}, auth=auth
        )
    )
    out["rate with a name"] = await put(own, _rating(setup, kiosk, name="张三"))
    out["rate with a comment"] = await put(own, _rating(setup, kiosk, comment="很好"))
    out["rate as another kiosk"] = await put(
        own, _rating(setup, kiosk, device=someone, created_by=someone)
    )
    out["rate typed on paper"] = await put(own, _rating(setup, kiosk, source="paper"))
    out["rate a score of 6"] = await put(own, _rating(setup, kiosk, scores={"close": 6}))
    out["rate no 心"] = await put(own, _rating(setup, kiosk, scores={}))
    out["rate another village's project"] = await put(
        own, _rating(setup, kiosk, project_id=f"service_project:{other}:x")
    )
    wrong_village = _rating(setup, kiosk, village=other)
    wrong_village["_id"] = f"service_rating:{other}:{uuid.uuid4().hex}"
    out["rate for another village"] = await put(own, wrong_village)
    matter = _rating(setup, kiosk, type="matter")
    matter["_id"] = f"matter:{code}:{uuid.uuid4().hex}"
    out["write a matter into its inbox"] = await put(own, matter)
    out["write a design document"] = await put(own, {"_id": "_design/x", "views": {}})
    out["rate into another kiosk's inbox"] = await put(neighbour, _rating(setup, kiosk))
    out["read another kiosk's inbox"] = await get(neighbour, "/_all_docs")
    out["read the village's database"] = await get(county.db(code), "/_all_docs")
    out["write into the village's database"] = await put(county.db(code), _rating(setup, kiosk))
    out["read the public database"] = await get(county.public_db(code), "/_all_docs")
    out["write into the public database"] = await put(
        county.public_db(code),
        {"_id": f"public_matter:{code}:{uuid.uuid4().hex}", "type": "public_matter",
         "village": code, "title": "假的"},
    )  # fmt: skip
    out["read another village's public database"] = await get(county.public_db(other), "/")
    out["read the services database"] = await get(county.services_db, "/_all_docs")
    out["make a database"] = await _make_database(county, client, auth)
    return out


async def _make_database(county: County, client: httpx.AsyncClient, auth: tuple[str, str]) -> str:
    """CouchDB answers a non-admin 401; the peer may not answer at all. Either way what counts
    is whether the database exists afterwards (asked as the administrator)."""
    url = _url(county, f"{county.prefix}kiosk_made_{uuid.uuid4().hex[:6]}")
    try:
        answer = _outcome(await client.put(url, auth=auth, timeout=5))
    except httpx.TimeoutException:
        answer = "denied"
    made = (await client.get(url, auth=_admin_auth(county))).status_code == 200
    return "ok" if made else answer


EXPECTED = {
    "rate into its inbox": "ok",
    "read its inbox": "ok",
    "change a rating": "evidence_changed",
    "delete a rating": "deleted",
    "rate with a name": "field",
    "rate with a comment": "field",
    "rate as another kiosk": "device",
    "rate typed on paper": "source",
    "rate a score of 6": "scores",
    "rate no 心": "scores",
    "rate another village's project": "project",
    "rate for another village": "village",
    "write a matter into its inbox": "type",
    "write a design document": "denied",
    "rate into another kiosk's inbox": "denied",
    "read another kiosk's inbox": "denied",
    "read the village's database": "denied",
    "write into the village's database": "denied",
    "read the public database": "ok",
    "write into the public database": "readers_only",
    "read another village's public database": "denied",
    "read the services database": "denied",
    "make a database": "denied",
}


async def test_a_kiosk_account_writes_its_own_inbox_and_nothing_else(setup: Setup) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for kiosk in (setup.county.accounts["kiosk_a"], setup.second_kiosk):
            actual = await _operations(setup, kiosk, client)
            wrong = {op: (actual[op], want) for op, want in EXPECTED.items() if actual[op] != want}
            assert not wrong, "\n".join(
                f"{kiosk} / {op}: got {got}, want {want}" for op, (got, want) in wrong.items()
            )
        # Nobody else writes a kiosk's inbox: not the village's secretary, not a reviewer.
        inbox = roles.kiosk_inbox(
            setup.county.village_a, setup.county.accounts["kiosk_a"], setup.county.prefix
        )
        for who in ("secretary_a", "county", "publisher"):
            name = setup.county.accounts[who]
            password = setup.county.publisher.password if who == "publisher" else PASSWORD
            doc = _rating(setup, name)
            answer = await client.put(
                _url(setup.county, inbox, f"/{doc['_id']}"), json=doc, auth=(name, password)
            )
            assert _outcome(answer) in ("denied", "kiosk_only"), who


def test_the_python_mirror_refuses_the_same_ratings() -> None:
    """check_kiosk_rating gives the codes validate_inbox.js gives (the table above)."""
    village, other, kiosk = "990101001001", "990101002001", "kiosk-a"

    def rating(**changes: Any) -> dict[str, Any]:
        return _rating_doc(village, f"service_project:{village}:p", kiosk, changes)

    cases = {
        "ok": rating(),
        "field": rating(name="张三"),
        "device": rating(device="kiosk-b", created_by="kiosk-b"),
        "source": rating(source="paper"),
        "scores": rating(scores={"close": 6}),
        "project": rating(project_id=f"service_project:{other}:x"),
        "type": {**rating(type="matter"), "_id": f"matter:{village}:x"},
        "date": rating(collected_on="30/11/2026"),
        "deleted": {**rating(), "_deleted": True},
    }
    for want, doc in cases.items():
        got = check_kiosk_rating(doc, village, kiosk)
        assert (got or "ok").split(":", 1)[0] == want, (want, got)


def _admin_auth(county: County) -> tuple[str, str]:
    address, _ = split_url(county.url, with_db=False)
    assert address.auth is not None
    return address.auth


def _kiosk_source(county: County) -> str:
    """The public database's address as ``kiosk pull --from`` keeps it."""
    name = county.accounts["kiosk_a"]
    scheme, rest = county.base.split("://", 1)
    return f"{scheme}://{name}:{PASSWORD}@{rest}/{county.public_db(county.village_a)}"


async def _kiosk_rates(setup: Setup, folder: Path, n: int, day: date) -> int:
    """``n`` villagers rate at the kiosk, then it pushes: the ratings written on the county."""
    county = setup.county
    box = await RatingBox.open(folder, county.village_a, county.accounts["kiosk_a"])
    try:
        for i in range(n):
            await box.record(setup.project_id, {"close": 5 - i % 2, "warm": 4}, day)
        return await push(box.db, _kiosk_source(county))
    finally:
        await box.close()


async def _index(county: County, folder: Path) -> int:
    async with CountyIndexer(county.url, folder, prefix=county.prefix + "village_") as indexer:
        stats = await indexer.run_once()
    return stats.ratings_merged


def _dashboard(county: County, index: Path, data: Path, year: int) -> Any:
    settings = Settings(
        data_dir=data,
        mode="county",
        couch_url=county.url,
        registry=county.registry,
        index_dir=index,
        follow_index=False,
        db_prefix=county.prefix,
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login",
            data={"username": county.accounts["county"], "password": PASSWORD,
                  "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.status_code == 303
        return soup(client.get(f"/services?year={year}"))


def test_a_kiosk_rating_reaches_the_dashboard_and_a_flood_is_flagged(
    setup: Setup, tmp_path: Path
) -> None:
    county = setup.county
    today = to_shanghai(now_utc()).date()
    index, kiosk = tmp_path / "index", tmp_path / "kiosk"
    # Two villagers rate while the kiosk is offline (nothing pushed): kept at the kiosk.
    box_written = asyncio.run(_kiosk_offline(setup, kiosk, 2, today))
    assert box_written == 2
    # The next push takes both; the indexer merges them into the village's database.
    assert asyncio.run(_push_only(setup, kiosk)) == 2
    assert asyncio.run(_index(county, index)) == 2
    assert asyncio.run(_index(county, index)) == 0  # merged once
    page = _dashboard(county, index, tmp_path / "county", today.year)
    overall = page.select_one("#satisfaction-overall")
    assert overall is not None and "共 2 份评议" in overall.get_text()
    assert page.select_one("#satisfaction-by-org tr[data-org='仁和医院']") is not None
    assert page.select_one("#kiosk-bursts") is None
    # 28 more the same day: 30 from one kiosk is a busy day, not a flood.
    assert asyncio.run(_kiosk_rates(setup, kiosk, 28, today)) == 28
    assert asyncio.run(_index(county, index)) == 28
    page = _dashboard(county, index, tmp_path / "county", today.year)
    assert page.select_one("#kiosk-bursts") is None
    # One more: flagged, with the kiosk and the count.
    assert asyncio.run(_kiosk_rates(setup, kiosk, 1, today)) == 1
    assert asyncio.run(_index(county, index)) == 1
    page = _dashboard(county, index, tmp_path / "county", today.year)
    flagged = page.select_one("#kiosk-bursts")
    assert flagged is not None
    text = flagged.get_text()
    assert county.accounts["kiosk_a"] in text and "31" in text
    # The village's laptop gets them at its next pull, for its yearly review.
    ratings = asyncio.run(_laptop_pull(county, tmp_path / "laptop.sqlite"))
    assert sum(1 for r in ratings if r.source == "kiosk") == 31


async def _kiosk_offline(setup: Setup, folder: Path, n: int, day: date) -> int:
    county = setup.county
    box = await RatingBox.open(folder, county.village_a, county.accounts["kiosk_a"])
    try:
        for _ in range(n):
            await box.record(setup.project_id, {"close": 4}, day)
        return (await box.status()).pending
    finally:
        await box.close()


async def _push_only(setup: Setup, folder: Path) -> int:
    box = await RatingBox.open(folder, setup.county.village_a, setup.county.accounts["kiosk_a"])
    try:
        written = await push(box.db, _kiosk_source(setup.county))
        assert (await box.status()).pending == 0
        return written
    finally:
        await box.close()


async def _laptop_pull(county: County, path: Path) -> list[Any]:
    name = county.accounts["secretary_a"]
    scheme, rest = county.base.split("://", 1)
    remote = f"{scheme}://{name}:{PASSWORD}@{rest}/{county.db(county.village_a)}"
    db = await sync.open_database(str(path))
    try:
        await sync.replicate(remote, db)
        store = repo.VillageStore(db, county.village_a, repo.Actor(name))
        return list(await store.list_ratings())
    finally:
        await db.close()


async def test_following_db_updates_merges_and_counts_in_one_pass(
    setup: Setup, db_updates_proxy: DbUpdatesProxy, tmp_path: Path
) -> None:
    """Where the server has ``_db_updates``: the inbox's change comes by the feed, and the
    village it was merged into is indexed in the same pass."""
    proxy_base = db_updates_proxy.url.split("@", 1)[-1]
    scheme = setup.county.base.split("://", 1)[0]
    proxied = dataclasses.replace(
        setup,
        county=dataclasses.replace(
            setup.county, url=db_updates_proxy.url, base=f"{scheme}://{proxy_base}"
        ),
    )
    index = tmp_path / "index"
    prefix = setup.county.prefix + "village_"
    async with CountyIndexer(proxied.county.url, index, prefix=prefix) as indexer:
        await indexer.run_once()  # the first pass lists everything and keeps the feed's place
        assert indexer.stats.mode == "db_updates"
        today = to_shanghai(now_utc()).date()
        assert await _kiosk_rates(proxied, tmp_path / "kiosk", 3, today) == 3
        before = indexer.stats.dbs_indexed
        await indexer.run_once()
        assert indexer.stats.ratings_merged == 3
        assert indexer.stats.dbs_indexed == before + 1  # the village, in this pass
    found = await CountyIndex.open(index)
    try:
        days = await services_index.kiosk_bursts(found, [setup.county.village_a], per_day=0)
    finally:
        await found.close()
    assert [(d.device, d.ratings) for _, d in days] == [(setup.county.accounts["kiosk_a"], 3)]


def test_kiosk_push_sends_what_waits(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``village-app kiosk push``: once, from the address ``kiosk pull`` kept."""
    folder = tmp_path / "kiosk"
    KioskFolder(folder).save_source(_kiosk_source(setup.county))
    assert main(["kiosk", "push", "--data", str(folder)]) == 0
    assert "nothing to send" in capsys.readouterr().out
    today = to_shanghai(now_utc()).date()
    assert asyncio.run(_kiosk_offline(setup, folder, 2, today)) == 2
    assert main(["kiosk", "push", "--data", str(folder)]) == 0
    assert "sent 2 ratings" in capsys.readouterr().out
    assert main(["kiosk", "push", "--data", str(folder)]) == 0
    assert "sent 0 ratings" in capsys.readouterr().out


def test_a_rating_on_the_running_kiosk_goes_to_its_inbox(setup: Setup, tmp_path: Path) -> None:
    """serve --mode kiosk: the project reaches the kiosk by its pull, a villager rates it with
    the form, and the running kiosk's push takes the rating to its inbox by itself."""
    import time

    from bs4 import BeautifulSoup

    county = setup.county
    code = county.village_a
    folder = KioskFolder(tmp_path / "kiosk")
    folder.save_source(_kiosk_source(county))
    twin = {
        "_id": f"public_{setup.project_id}",
        "type": "public_service_project",
        "village": code,
        "title": "上门义诊",
        "organisation": "仁和医院",
        "kind": "charity",
        "schedule": "每月一次",
        "starts_on": "2026-01-05",
        "active": True,
    }
    inbox = roles.kiosk_inbox(code, county.accounts["kiosk_a"], county.prefix)

    def wait_for(check: Any, what: str) -> None:
        for _ in range(300):
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(what)

    def inbox_docs() -> list[dict[str, Any]]:
        rows = httpx.get(
            _url(county, inbox, "/_all_docs"),
            params={"include_docs": "true"},
            auth=_admin_auth(county),
            timeout=30,
        ).json()["rows"]
        return [r["doc"] for r in rows if not r["id"].startswith("_design/")]

    app = create_app(Settings(data_dir=folder.data_dir, mode="kiosk"))
    with TestClient(app) as client:
        answer = httpx.put(
            _url(county, county.public_db(code), f"/{twin['_id']}"),
            json=twin,
            auth=_admin_auth(county),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        page_url = f"/services/{setup.project_id}"
        wait_for(lambda: client.get(page_url).status_code == 200, "the project never arrived")
        form = BeautifulSoup(client.get(page_url).text, "html.parser").select_one("#rating-form")
        assert form is not None
        token = form.select_one("input[name=csrf_token]")
        assert token is not None
        sent = client.post(
            str(form["action"]),
            data={"csrf_token": str(token["value"]), "score_close": "5", "score_ease": "3"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        wait_for(lambda: len(inbox_docs()) == 1, "the rating never reached the inbox")
    [doc] = inbox_docs()
    assert doc["scores"] == {"close": 5, "ease": 3} and doc["device"] == county.accounts["kiosk_a"]
    assert asyncio.run(_index(county, tmp_path / "index")) == 1
