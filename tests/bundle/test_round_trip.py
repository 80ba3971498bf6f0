"""A bundle laptop -> county -> laptop through the peer: the county's database ends up as the
network push would have left it, the reply brings the reviews and moves the laptop's
checkpoint, the next bundle holds only what is new, and the county's refusal of a record
comes back named."""

from __future__ import annotations

from pathlib import Path

import pytest
from syncing.laptop import VILLAGE, more_matters, return_matter, village

from bundle.conftest import Stick
from village_app.bundle.county import import_bundle
from village_app.bundle.laptop import export_bundle, import_reply
from village_app.syncing.pending import count_pending

pytestmark = pytest.mark.peer


async def test_a_stick_goes_to_the_county_and_comes_back(stick: Stick, tmp_path: Path) -> None:
    laptop, county = stick.laptop, stick.county
    matter = await village(laptop.db, stick.account, scans=2, scan_size=50_000)
    first = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b1.cunyi")
    assert first.number == 1 and first.docs == len(await stick.laptop_ids())
    assert first.attachments == 4

    imported = await import_bundle(county.url, stick.keys, first.path, prefix=county.prefix)
    assert imported.village == VILLAGE and imported.written == first.docs and not imported.refused
    assert imported.reply == tmp_path / "b1.reply.cunyi" and imported.reply.exists()
    assert await stick.county_ids() == await stick.laptop_ids()
    # Exactly as replication writes: the same revisions, the attachments whole.
    county_db = f"{county.url}/{county.db(VILLAGE)}"
    import sync

    remote = await sync.open_database(county_db, create=False)
    try:
        for docid in await stick.laptop_ids():
            mine = await laptop.db.get(docid, revs=True, attachments=True)
            theirs = await remote.get(docid, revs=True, attachments=True)
            assert theirs["_rev"] == mine["_rev"] and theirs.get("_revisions") == mine.get(
                "_revisions"
            )
            for name, att in (mine.get("_attachments") or {}).items():
                assert theirs["_attachments"][name]["data"] == att["data"]
    finally:
        await remote.close()

    # Before the reply, the laptop still counts everything as not acknowledged.
    assert await count_pending(laptop.db, None) == first.docs
    done = await import_reply(laptop.db, laptop.data_dir, VILLAGE, imported.reply)
    assert done.number == 1 and not done.refused
    assert await count_pending(laptop.db, None) == 0

    # The county reviews; the laptop records more; the next stick holds only the new.
    review_id = await return_matter(
        county.url, county.db(VILLAGE), matter.id, county.accounts["township_a"], "请补签到表"
    )
    new = await more_matters(laptop.db, stick.account, 3, title="新事项")
    assert await count_pending(laptop.db, None) == 3
    second = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b2.cunyi")
    assert second.number == 2 and second.docs == 3
    imported = await import_bundle(county.url, stick.keys, second.path, prefix=county.prefix)
    assert imported.written == 3 and imported.reviews == 1
    assert {m.id for m in new} <= await stick.county_ids()
    done = await import_reply(laptop.db, laptop.data_dir, VILLAGE, imported.reply)
    assert done.received == 1
    assert (await laptop.db.get(review_id))["comment"] == "请补签到表"
    assert await count_pending(laptop.db, None) == 0

    # A third stick with nothing new still carries the question: no review twice.
    third = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b3.cunyi")
    assert third.docs == 0
    imported = await import_bundle(county.url, stick.keys, third.path, prefix=county.prefix)
    assert imported.written == 0 and imported.reviews == 0


async def test_a_record_the_county_refuses_comes_back_named(stick: Stick, tmp_path: Path) -> None:
    laptop, county = stick.laptop, stick.county
    await village(laptop.db, stick.account)
    first = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b1.cunyi")
    reply = (await import_bundle(county.url, stick.keys, first.path, prefix=county.prefix)).reply
    await import_reply(laptop.db, laptop.data_dir, VILLAGE, reply)

    # A stage record changed on the laptop behind the app's back: evidence, never changed.
    [record] = (await laptop.db.find({"type": "stage_record", "stage": "proposal"}))["docs"]
    record["content"] = "改过的内容"
    await laptop.db.put(record)
    second = await export_bundle(laptop.db, laptop.data_dir, VILLAGE, tmp_path / "b2.cunyi")
    imported = await import_bundle(county.url, stick.keys, second.path, prefix=county.prefix)
    assert [docid for docid, _ in imported.refused] == [record["_id"]]
    done = await import_reply(laptop.db, laptop.data_dir, VILLAGE, imported.reply)
    [refused] = done.refused
    assert refused.docid == record["_id"] and refused.code == "evidence_changed"
    assert refused.doc_type == "stage_record" and refused.label == "修建村东机耕道"
