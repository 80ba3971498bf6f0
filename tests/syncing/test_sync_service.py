"""立即同步 against a county provisioned on the peer: push, pull, repair; each failure a
secretary meets (wrong password, no network, a refused record, a full disk, an old county,
a link cut half-way, cancel) named in plain Chinese with what to do, and kept in the log."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import replace
from typing import Any

import pytest
from county.provisioned import County

from sync.couch_server import CouchServer
from syncing.conftest import PASSWORD, Laptop, MakeLaptop, db_url
from syncing.countyproxy import CountyProxy
from syncing.laptop import VILLAGE, more_matters, return_matter, store, village
from village_app.syncing import runs
from village_app.syncing.refusals import outstanding_refused
from village_app.syncing.runs import Progress, Step

pytestmark = pytest.mark.peer


async def _configure(
    laptop: Laptop, county: County, *, address: str | None = None, password: str = PASSWORD
) -> None:
    await laptop.service.save_settings(
        address or db_url(county), county.accounts["secretary_a"], password
    )


async def _county_ids(county: County) -> set[str]:
    async with CouchServer(county.url) as server:
        db = await server.database(county.db(VILLAGE), create=False)
        try:
            rows = (await db.all_docs())["rows"]
        finally:
            await db.close()
    return {r["id"] for r in rows if not r["id"].startswith("_design/")}


async def _local_ids(laptop: Laptop) -> set[str]:
    rows = (await laptop.db.all_docs())["rows"]
    return {r["id"] for r in rows if not r["id"].startswith("_design/")}


async def test_the_password_is_kept_encrypted_in_a_private_file(
    county: County, make_laptop: MakeLaptop
) -> None:
    laptop = await make_laptop()
    await _configure(laptop, county, password="Secret-pw-1234")
    settings = laptop.data_dir / "sync.json"
    key = laptop.data_dir / ".sync_key"
    for path in (settings, key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"Secret-pw-1234" not in settings.read_bytes()
    stored = json.loads(settings.read_text())
    assert stored["account"] == county.accounts["secretary_a"] and "password" in stored
    assert laptop.service.settings.password(laptop.service.config) == "Secret-pw-1234"  # type: ignore[arg-type]
    # Never in the village database (nothing of it is replicated) nor in the log.
    await laptop.service.start_run()
    await laptop.service.wait()
    for path in laptop.data_dir.iterdir():  # the database, its WAL, the log
        if path.name != ".sync_key":
            assert b"Secret-pw-1234" not in path.read_bytes(), path.name
    # Without its key file the password cannot be read back: the page asks for it again.
    key.unlink()
    await laptop.service.start_run()
    progress = await laptop.service.wait()
    assert progress is not None and progress.problem is not None
    assert progress.problem.code == "password_unreadable"


async def test_push_then_pull_brings_the_county_review_and_repairs(
    county: County, make_laptop: MakeLaptop
) -> None:
    account = county.accounts["secretary_a"]
    laptop = await make_laptop()
    matter = await village(laptop.db, account, scans=2)
    await laptop.service.start()  # counts again
    assert laptop.service.header().state == "not_configured"
    await _configure(laptop, county)
    assert laptop.service.header().state == "pending"
    pending = laptop.service.pending
    assert pending >= 7

    await laptop.service.start_run()
    first = await laptop.service.wait()
    assert first is not None
    assert first.outcome == "ok", first.problem
    assert first.to_send == pending
    assert first.sent == pending and first.sent_attachments == 4
    assert first.bytes_sent > 4 * 2000
    # The county's design document came with the first pull (the laptop holds it now), and
    # is not counted as a record received.
    assert (await laptop.db.all_docs(startkey="_design/", endkey="_design0"))["rows"]
    assert first.received == 0
    local_ids = await _local_ids(laptop)
    assert await _county_ids(county) == local_ids

    # The county returns the matter; the next sync brings the review to the laptop.
    review_id = await return_matter(
        county.url, county.db(VILLAGE), matter.id, county.accounts["township_a"], "第2阶段缺签到表"
    )
    await laptop.service.start_run()
    second = await laptop.service.wait()
    assert second is not None and second.outcome == "ok"
    assert second.received == 1 and second.sent == 0
    assert (await laptop.db.get(review_id))["comment"] == "第2阶段缺签到表"
    status = laptop.service.header()
    assert status.state == "synced" and status.pending == 0 and status.at is not None

    records = laptop.service.log.records()
    assert [r.outcome for r in records] == ["ok", "ok"]
    assert records[1].sent == pending and records[0].received == 1


async def test_a_wrong_password_stops_and_says_so(county: County, make_laptop: MakeLaptop) -> None:
    laptop = await make_laptop()
    await village(laptop.db, county.accounts["secretary_a"])
    await _configure(laptop, county, password="not-the-password")
    await laptop.service.set_auto(True)
    for _ in range(200):  # the automatic sync's first try
        if laptop.service.auto.state == "stopped":
            break
        await asyncio.sleep(0.05)
    assert laptop.service.auto.state == "stopped"
    assert laptop.service._auto_task is not None and laptop.service._auto_task.done()
    assert laptop.service.header().state == "wrong_password"

    await laptop.service.start_run()
    progress = await laptop.service.wait()
    assert progress is not None and progress.problem is not None
    assert progress.problem.code == "wrong_password" and progress.sent == 0
    assert await _county_ids(county) == set()
    # The password is in no message.
    assert "not-the-password" not in progress.problem.detail
    # New settings: tried again, and it works.
    await _configure(laptop, county)
    await laptop.service.start_run()
    progress = await laptop.service.wait()
    assert progress is not None and progress.outcome == "ok"
    assert laptop.service.header().state == "synced"


async def test_a_refused_record_is_named_with_the_countys_reason(
    county: County, make_laptop: MakeLaptop
) -> None:
    laptop = await make_laptop()
    await village(laptop.db, county.accounts["secretary_a"])
    # Another local account (not the county's) recorded one matter: the county refuses it.
    [other] = await more_matters(laptop.db, "wenshu", 1, title="村西水渠")
    await _configure(laptop, county)
    await laptop.service.start_run()
    progress = await laptop.service.wait()
    assert progress is not None and progress.outcome == "refused" and progress.problem is None
    [refused] = progress.refused
    assert refused.docid == other.id and refused.code == "author"
    assert refused.doc_type == "matter" and refused.label == "村西水渠0"
    assert refused.reason_msgid == "记录的填写人必须是当前账号"
    assert other.id not in await _county_ids(county)
    assert progress.sent >= 7  # the others went
    [record] = laptop.service.log.records()
    assert record.outcome == "refused" and record.refused_count == 1
    assert record.refused[0].docid == other.id
    # It stays flagged after the run (the push's checkpoint moved past it: no later run
    # would name it again), on every page's header, until the record changes.
    assert [r.docid for r in laptop.service.refused] == [other.id]
    assert laptop.service.refused[0].matter == other.id
    assert laptop.service.header().refused == 1
    await laptop.service.start_run()
    again = await laptop.service.wait()
    assert again is not None and again.outcome == "ok" and not again.refused
    assert [r.docid for r in await outstanding_refused(laptop.db)] == [other.id]
    assert laptop.service.header().refused == 1
    doc = await laptop.db.get(other.id)
    await laptop.db.put({**doc, "summary": "改过了"})
    assert await outstanding_refused(laptop.db) == []


async def test_no_network_says_so_and_since_when(county: County, make_laptop: MakeLaptop) -> None:
    laptop = await make_laptop()
    await village(laptop.db, county.accounts["secretary_a"])
    async with CountyProxy(county.base) as proxy:
        address = f"http://127.0.0.1:{proxy.port}/{county.db(VILLAGE)}"
        proxy.cut()
        await _configure(laptop, county, address=address)
        await laptop.service.start_run()
        progress = await laptop.service.wait()
    assert progress is not None and progress.problem is not None
    assert progress.problem.code == "offline"
    status = laptop.service.header()
    assert status.state == "offline" and status.at == progress.started_at and status.pending >= 7


async def test_a_county_too_old_is_named(county: County, make_laptop: MakeLaptop) -> None:
    laptop = await make_laptop()
    async with CountyProxy(county.base) as proxy:
        proxy.old_welcome = True
        await _configure(laptop, county, address=f"http://127.0.0.1:{proxy.port}")
        await laptop.service.start_run()
        progress = await laptop.service.wait()
    assert progress is not None and progress.problem is not None
    assert progress.problem.code == "county_too_old"
    assert "1.6.1" in progress.problem.detail


def _fill_up(db: Any) -> None:
    db.conn.execute(
        "PRAGMA max_page_count = " + str(db.conn.execute("PRAGMA page_count").fetchone()[0])
    )


async def test_a_full_disk_during_the_pull_says_so(county: County, make_laptop: MakeLaptop) -> None:
    # The county has a large scan the laptop does not (another laptop of the village sent it).
    other = await make_laptop("other")
    await village(other.db, county.accounts["secretary_a"], scans=3, scan_size=200_000)
    await _configure(other, county)
    await other.service.start_run()
    assert (await other.service.wait()).outcome == "ok"  # type: ignore[union-attr]

    laptop = await make_laptop()
    await _configure(laptop, county)
    await laptop.db._run(_fill_up, laptop.db)  # type: ignore[attr-defined]
    await laptop.service.start_run()
    progress = await laptop.service.wait()
    assert progress is not None and progress.problem is not None
    assert progress.problem.code == "disk_full"
    assert laptop.service.log.records()[0].problem == "disk_full"


async def test_a_link_cut_half_way_is_waited_out_then_finished(
    county: County, make_laptop: MakeLaptop
) -> None:
    laptop = await make_laptop()
    await village(laptop.db, county.accounts["secretary_a"], scans=4, scan_size=150_000)
    async with CountyProxy(county.base, bandwidth=200_000) as proxy:
        await _configure(
            laptop, county, address=f"http://127.0.0.1:{proxy.port}/{county.db(VILLAGE)}"
        )
        progress = await laptop.service.start_run()
        for _ in range(1000):  # a third of the scans through
            if proxy.up.bytes > 400_000:
                break
            await asyncio.sleep(0.01)
        assert progress.step is Step.SENDING
        proxy.cut()
        for _ in range(400):
            if _step(progress) is Step.RETRYING:
                break
            await asyncio.sleep(0.02)
        assert _step(progress) is Step.RETRYING
        proxy.restore()
        await laptop.service.wait()
    assert progress.outcome == "ok", progress.problem
    local_ids = await _local_ids(laptop)
    assert await _county_ids(county) == local_ids


def _step(progress: Progress) -> Step:
    """The step as it is now (read through a call: the run changes it meanwhile)."""
    return progress.step


async def test_cancel_stops_and_the_next_sync_resumes(
    county: County, make_laptop: MakeLaptop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 100 (the app's are 500): two of them are on the county well before the
    # scans, with few records to make.
    monkeypatch.setattr(runs, "BATCH_SIZE", 100)
    laptop = await make_laptop()
    account = county.accounts["secretary_a"]
    # Two batches of small records, then the scans (a slow third batch on this link).
    await more_matters(laptop.db, account, 200)
    await village(laptop.db, account, scans=4, scan_size=40_000)
    async with CountyProxy(county.base, bandwidth=25_000) as proxy:
        await _configure(
            laptop, county, address=f"http://127.0.0.1:{proxy.port}/{county.db(VILLAGE)}"
        )
        progress = await laptop.service.start_run()
        for _ in range(2000):
            if progress.sent_now >= 200:
                break
            await asyncio.sleep(0.01)
        laptop.service.cancel()
        await laptop.service.wait()
        assert progress.outcome == "cancelled"
        # Cancelled after the first two batches; the light records of the third may have
        # landed too, if its write had begun (a write under way is let finish).
        sent = progress.sent
        assert progress.to_send is not None and 200 <= sent < progress.to_send
        assert laptop.service.log.records()[0].outcome == "cancelled"
        # Counted from where the push's checkpoint got: the replicator writes batches
        # while earlier ones are checkpointed, so when a run is cancelled the county may
        # hold a few batches more than the checkpoint says (here the checkpoint of the
        # first two waits behind the scans on the slow link).
        assert progress.to_send - sent <= laptop.service.pending <= progress.to_send
        await laptop.service.start_run()
        again = await laptop.service.wait()
    assert again is not None and again.outcome == "ok"
    # Resumed: what the first run wrote was asked about again (revs_diff), not sent again
    # (the scans under way when it was cancelled may have landed too).
    assert again.to_send is not None
    assert again.sent <= progress.to_send - sent and again.sent <= again.to_send
    assert await _county_ids(county) == await _local_ids(laptop)


async def test_automatic_sync_sends_new_records_by_itself(
    county: County, make_laptop: MakeLaptop
) -> None:
    account = county.accounts["secretary_a"]
    laptop = await make_laptop()
    matter = await village(laptop.db, account)
    await _configure(laptop, county)
    await laptop.service.set_auto(True)
    local_ids = await _local_ids(laptop)
    for _ in range(300):
        if laptop.service.auto.state == "waiting" and await _county_ids(county) == local_ids:
            break
        await asyncio.sleep(0.05)
    assert await _county_ids(county) == local_ids
    # A new record goes by itself; a county review comes by itself.
    [new] = await more_matters(laptop.db, account, 1, title="新事项")
    review_id = await return_matter(
        county.url, county.db(VILLAGE), matter.id, county.accounts["township_a"], "请补签到表"
    )
    for _ in range(300):
        arrived = (await laptop.db.all_docs(keys=[review_id]))["rows"][0].get("value")
        if new.id in await _county_ids(county) and arrived:
            break
        await asyncio.sleep(0.05)
    assert new.id in await _county_ids(county)
    assert (await laptop.db.get(review_id))["comment"] == "请补签到表"
    await laptop.service.set_auto(False)
    assert laptop.service.auto.state == "off"
    autos = [r for r in laptop.service.log.records() if r.kind == "auto"]
    assert autos and sum(r.sent for r in autos) >= len(local_ids) + 1
    assert sum(r.received for r in autos) >= 1


async def test_conflicts_that_arrive_are_listed_with_where_to_resolve_them(
    county: County, make_laptop: MakeLaptop
) -> None:
    """Two laptops of one village (an old one kept as a spare) change the same matter
    before they sync: the second one's pull brings the first's version beside its own."""
    account = county.accounts["secretary_a"]
    first = await make_laptop("first")
    matter = await village(first.db, account)
    await _configure(first, county)
    await first.service.start_run()
    assert (await first.service.wait()).outcome == "ok"  # type: ignore[union-attr]
    second = await make_laptop("second")
    await _configure(second, county)
    await second.service.start_run()
    assert (await second.service.wait()).received >= 7  # type: ignore[union-attr]

    for laptop, title in ((first, "修建村东机耕道（一期）"), (second, "修建村东机耕道（全段）")):
        s = store(laptop.db, account)
        current = await s.get_matter(matter.id)
        await s.update_matter(replace(current, title=title))
    await first.service.start_run()
    assert (await first.service.wait()).outcome == "ok"  # type: ignore[union-attr]
    await second.service.start_run()
    progress = await second.service.wait()
    assert progress is not None and progress.outcome == "ok"
    [conflict] = progress.conflicts
    assert conflict.docid == matter.id and conflict.doc_type == "matter"
    assert conflict.target == matter.id and conflict.label.startswith("修建村东机耕道")
