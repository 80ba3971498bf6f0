"""The laptop refuses, before storing, what the county's validate_doc_update would refuse;
and an edit keeps the fields this version does not know (a newer laptop's, the county's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from web.villagedata import major_matter, small_village, store, through_consultation

import sync
from village_app.domain import Matter
from village_app.domain.write_rules import WriteRefused


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[sync.Database]:
    database = await sync.open_database(str(tmp_path / "village.sqlite"))
    await small_village(database)
    yield database
    await database.close()


async def test_evidence_edits_are_refused_on_the_laptop(db: sync.Database) -> None:
    matter = await through_consultation(db)
    village = store(db)
    record = (await village.list_stage_records(matter.id))[0]
    doc = await db.get(record.id)
    with pytest.raises(WriteRefused) as refused:
        await village._put_editable({**doc, "text": "事后改写的会议记录"})
    assert refused.value.msgid == "已保存的会议、表决、公开和监督记录不能修改，请使用更正"
    assert (await db.get(record.id))["_rev"] == doc["_rev"]
    # Publicity flags are not evidence: the laptop recomputes them from the matter.
    await village._put_editable({**doc, "sensitive": not doc.get("sensitive", False)})


async def test_another_villages_record_is_refused(db: sync.Database) -> None:
    village = store(db)
    with pytest.raises(WriteRefused):
        await village._put_new(
            {
                "_id": "matter:x:1",
                "type": "matter",
                "village": "990101009009",
                "created_by": "secretary",
            }
        )


async def test_fields_a_newer_version_wrote_survive_an_edit(db: sync.Database) -> None:
    matter: Matter = await major_matter(db)
    doc = await db.get(matter.id)
    await db.put({**doc, "budget_yuan": 120000, "extension": {"by": "v2"}})
    fresh = await store(db).get_matter(matter.id)
    await store(db).update_matter(replace(fresh, title="修建村东机耕道（一期）"))
    stored = await db.get(matter.id)
    assert stored["title"] == "修建村东机耕道（一期）"
    assert stored["budget_yuan"] == 120000 and stored["extension"] == {"by": "v2"}
