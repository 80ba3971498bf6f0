"""The records store over both kinds of store: the embedded SQLite file and the CouchDB peer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from domain.helpers import tiny_png

import sync
from village_app import repo
from village_app.domain import (
    SHANGHAI,
    Attendance,
    EditConflict,
    Ineligible,
    InvalidAttachment,
    Matter,
    Member,
    NotFound,
    Publication,
    StageOrder,
    StageRecord,
    SupervisionEntry,
    Village,
    Vote,
    check_public,
    is_shown,
    twin_id,
)

V = "990101001009"
ACTOR = repo.Actor("secretary")
T0 = datetime(2026, 3, 2, 19, 30, tzinfo=SHANGHAI)


def _store(db: sync.Database, actor: repo.Actor = ACTOR) -> repo.VillageStore:
    return repo.VillageStore(db, V, actor)


@pytest.fixture(params=["embedded", "couch"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[sync.Database]:
    if request.param == "embedded":
        location = str(tmp_path / f"{V}.sqlite")
    else:
        location = request.getfixturevalue("couch_db_url")  # deleted at teardown, whatever happens
    database = await sync.open_database(location)
    await _store(database).save_village(Village(V, "测试村", "东溪镇", "青禾县"))
    yield database
    await database.close()


async def _major(db: sync.Database, title: str = "村道硬化", year: int = 2026) -> Matter:
    return await _store(db).create_matter(Matter(kind="major", title=title, body="", year=year))


def _meeting(stage: str, days: int, **kw: object) -> StageRecord:
    base: dict[str, object] = {"attendance": Attendance(5, 5), "content": "内容"}
    if stage == "review":
        base = {"attendance": Attendance(30, 24), "vote": Vote(20, 2, 2)}
    if stage == "resolution":
        base = {
            "body": "representatives",
            "attendance": Attendance(30, 21),
            "vote": Vote(18, 2, 1),
            "content": "决议",
        }
    base.update(kw)
    return StageRecord(matter="", stage=stage, held_at=T0 + timedelta(days=days), **base)  # type: ignore[arg-type]


def _publication(stage: str, days: int) -> StageRecord:
    when = T0 + timedelta(days=days)
    return StageRecord(
        matter="", stage=stage, publication=Publication("", "村务公开栏", when), content="公告"
    )


async def test_documents_have_the_common_fields(db: sync.Database) -> None:
    matter = await _major(db)
    assert re.fullmatch(rf"matter:{V}:[0-9A-HJKMNP-TV-Z]{{26}}", matter.id)
    doc = await db.get(matter.id)
    assert doc["type"] == "matter" and doc["village"] == V and doc["created_by"] == "secretary"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["created_at"])
    assert doc["stage"] == "proposal" and doc["sensitive"] is False


async def test_a_matter_through_all_six_stages_with_a_failed_quorum(db: sync.Database) -> None:
    matter = await _major(db)
    first = await _store(db).append_stage_record(
        matter.id,
        _meeting("proposal", 0),
        attachments=[repo.NewAttachment("签字.jpg", tiny_png())],
    )
    assert [a.name for a in first.attachments] == ["签字.png"]  # named by content
    await _store(db).append_stage_record(matter.id, _meeting("consultation", 3))
    await _store(db).append_stage_record(matter.id, _meeting("review", 6))
    failed = await _store(db).append_stage_record(
        matter.id,
        _meeting("resolution", 9, attendance=Attendance(30, 20), vote=Vote(18, 1, 1)),
    )
    assert failed.outcome is not None and not failed.outcome.quorate
    assert (await _store(db).get_matter(matter.id)).stage == "resolution"
    with pytest.raises(StageOrder):
        await _store(db).append_stage_record(matter.id, _publication("resolution_publication", 10))
    await _store(db).append_stage_record(matter.id, _meeting("resolution", 12))
    assert (await _store(db).get_matter(matter.id)).stage == "resolution_publication"
    published = await _store(db).append_stage_record(
        matter.id, _publication("resolution_publication", 13)
    )
    await _store(db).append_stage_record(matter.id, _publication("result_publication", 40))
    view = await _store(db).matter_view(matter.id)
    assert view.completed and view.matter.stage == "completed"
    assert len(view.stages[3].attempts) == 2 and view.stages[3].attempts[0].current.id == failed.id
    # The kiosk gets the matter's public twin, never the records themselves.
    assert is_shown(await db.get(twin_id(matter.id)), V)
    assert check_public(await db.get(published.id), V) is not None
    assert check_public(await db.get(matter.id), V) is not None


async def test_refused_records_store_nothing(db: sync.Database) -> None:
    matter = await _major(db)
    with pytest.raises(StageOrder):
        await _store(db).append_stage_record(matter.id, _meeting("review", 0))
    with pytest.raises(InvalidAttachment):
        await _store(db).append_stage_record(
            matter.id,
            _meeting("proposal", 0),
            attachments=[repo.NewAttachment("a.pdf", b"MZ not a pdf")],
        )
    assert await _store(db).list_stage_records(matter.id) == []


async def test_attachments_are_added_never_replaced(db: sync.Database) -> None:
    matter = await _major(db)
    record = await _store(db).append_stage_record(matter.id, _meeting("proposal", 0))
    first = await _store(db).add_attachment(record.id, "sheet.png", tiny_png())
    second = await _store(db).add_attachment(record.id, "sheet.png", tiny_png())
    assert (first.name, second.name) == ("sheet.png", "sheet-2.png")
    data, content_type = await _store(db).get_attachment(record.id, "sheet-2.png")
    assert data == tiny_png() and content_type == "image/png"
    with pytest.raises(NotFound):
        await _store(db).get_attachment(record.id, "nope.png")
    with pytest.raises(NotFound):
        await _store(db).add_attachment(matter.id, "x.png", tiny_png())  # matters are not evidence


async def test_a_correction_is_a_new_document(db: sync.Database) -> None:
    matter = await _major(db)
    original = await _store(db).append_stage_record(matter.id, _meeting("proposal", 0))
    fixed = await _store(db).correct_record(
        original.id,
        _meeting("proposal", 0, attendance=Attendance(5, 4)),
        "实到人数按签到表更正",
    )
    assert (await db.get(original.id))["_rev"].startswith("1-")  # untouched
    assert fixed.corrects == original.id and fixed.reason == "实到人数按签到表更正"
    view = await _store(db).matter_view(matter.id)
    [chain] = view.corrections
    assert chain.current.id == fixed.id and [r.id for r in chain.superseded] == [original.id]


async def test_list_matters_filters_and_orders(db: sync.Database) -> None:
    old = await _major(db, "旧桥加固", 2025)
    new = await _major(db, "新修水渠", 2026)
    council = await _store(db).create_matter(
        Matter(kind="council", title="简办标准", body="weddings_funerals_council", year=2026),
    )
    await _store(db).append_stage_record(new.id, _meeting("proposal", 0))
    assert [m.id for m in await _store(db).list_matters()] == [council.id, new.id, old.id]
    assert [m.id for m in await _store(db).list_matters(year=2025)] == [old.id]
    assert [m.id for m in await _store(db).list_matters(stage="consultation")] == [new.id]
    assert [m.id for m in await _store(db).list_matters(body="weddings_funerals_council")] == [
        council.id
    ]
    assert [m.id for m in await _store(db).list_matters(kind="major", limit=1, skip=1)] == [old.id]
    assert (await _store(db).stage_counts()) == {
        "proposal": 1,
        "consultation": 1,
        "council_proposal": 1,
    }


async def test_editable_matter_conflicts_are_exposed_and_resolved(db: sync.Database) -> None:
    matter = await _major(db)
    edited = await _store(db).update_matter(
        Matter(**{**matter.__dict__, "title": "村道硬化（一期）"})
    )
    with pytest.raises(EditConflict):
        await _store(db).update_matter(Matter(**{**matter.__dict__, "title": "过期的修改"}))
    # Another laptop's edit of the same revision arrives by replication.
    doc = await db.get(matter.id)
    theirs = {
        **doc,
        "title": "村道硬化（县里修改）",
        "_rev": "2-" + "f" * 32,
        "_revisions": {"start": 2, "ids": ["f" * 32, matter.rev.split("-")[1]]},
    }
    await db.bulk_docs([theirs], new_edits=False)
    current = await _store(db).get_matter(matter.id)
    assert current.conflicts
    versions = await _store(db).list_conflicts(matter.id)
    assert {v["title"] for v in versions} == {edited.title, "村道硬化（县里修改）"}
    await _store(db).resolve_conflict(matter.id, {**versions[1], "title": "村道硬化（合并）"})
    resolved = await _store(db).get_matter(matter.id)
    assert resolved.title == "村道硬化（合并）" and not resolved.conflicts


async def test_members_keep_private_details_apart(db: sync.Database) -> None:
    day = date(2024, 1, 1)
    chair = await _store(db).add_member(
        Member(
            "villagers_committee",
            "林国强",
            "主任",
            day,
            close_relatives=("林小梅",),
            phone="19900000001",
        ),
    )
    public = await db.get(chair.id)
    assert "phone" not in public and "close_relatives" not in public
    [stored] = await _store(db).list_members("villagers_committee")
    assert stored.phone == "19900000001" and stored.close_relatives == ("林小梅",)
    with pytest.raises(Ineligible):
        await _store(db).add_member(Member("supervision_committee", "林小梅", "委员", day))
    supervisor = await _store(db).add_member(Member("supervision_committee", "赵建华", "主任", day))
    ended = await _store(db).update_member(
        Member(**{**supervisor.__dict__, "term_end": date(2026, 12, 31)})
    )
    assert ended.term_end == date(2026, 12, 31)
    assert (await _store(db).get_member(supervisor.id)).term_end == date(2026, 12, 31)


async def test_supervision_threads(db: sync.Database) -> None:
    await _store(db).add_member(Member("supervision_committee", "赵建华", "主任", date(2024, 1, 1)))
    matter = await _major(db)
    noted = datetime(2026, 5, 1, 10, tzinfo=SHANGHAI)
    first = await _store(db).add_supervision(
        SupervisionEntry("公开不及时", "赵建华", noted_at=noted, matter=matter.id)
    )
    await _store(db).add_supervision(
        SupervisionEntry("", "赵建华", "closed", "已公开", noted_at=noted),
        thread_id=first.id,
    )
    with pytest.raises(Ineligible):
        await _store(db).add_supervision(SupervisionEntry("问题", "林国强", noted_at=noted))
    with pytest.raises(NotFound):
        await _store(db).add_supervision(
            SupervisionEntry("", "赵建华", "closed", "x", noted_at=noted),
            thread_id="nope",
        )
    [thread] = await _store(db).list_supervision(matter=matter.id)
    assert thread.status == "closed" and len(thread.entries) == 2
    assert await _store(db).list_supervision(open_only=True) == []
    view = await _store(db).matter_view(matter.id)
    assert [t.id for t in view.supervision] == [first.id]
    fixed = await _store(db).correct_supervision(
        first.id, SupervisionEntry("决议公开不及时", "赵建华", noted_at=noted), "补充"
    )
    [thread] = await _store(db).list_supervision(matter=matter.id)
    assert thread.first.id == fixed.id and thread.status == "closed"


async def test_other_villages_records_are_not_found(db: sync.Database) -> None:
    matter = await _major(db)
    with pytest.raises(NotFound):
        await repo.VillageStore(db, "990101001008").get_matter(matter.id)
    with pytest.raises(NotFound):
        await _store(db).matter_view(f"matter:{V}:NOPE")


async def test_bodies_carry_rules(db: sync.Database) -> None:
    from village_app.domain import Body

    rule = {
        "quorum": {"members": {"fraction": "2/3", "strict": False}},
        "majority": {"fraction": "1/2"},
    }
    await _store(db).save_body(Body("residents_council", charter="章程", rule=rule))
    rules = await _store(db).rules()
    assert rules["residents_council"].quorum["members"].strict is False
    assert [b.kind for b in await _store(db).list_bodies()] == ["residents_council"]


async def test_matters_list_follows_writes_it_did_not_make(db: sync.Database) -> None:
    """The in-process matter index catches up from the changes feed (replication, deletes)."""
    kept = await _major(db, "保留")
    gone = await _major(db, "删除")
    assert len(await _store(db).list_matters()) == 2
    await db.delete(gone.id, gone.rev)
    arrived = {
        **(await db.get(kept.id)),
        "_id": f"matter:{V}:01ZZZZZZZZZZZZZZZZZZZZZZZZ",
        "title": "同步来的",
    }
    arrived.pop("_rev")
    arrived["created_at"] = "2099-01-01T00:00:00.000Z"
    await db.bulk_docs([{**arrived, "_rev": "1-" + "a" * 32}], new_edits=False)
    assert [m.title for m in await _store(db).list_matters()] == ["同步来的", "保留"]
    assert await _store(db).stage_counts() == {"proposal": 2}
    # The per-stage split follows too: a matter moved on by a write elsewhere leaves its stage.
    assert [m.title for m in await _store(db).list_matters(stage="proposal")] == [
        "同步来的",
        "保留",
    ]
    moved = await db.get(kept.id)
    await db.put({**moved, "stage": "consultation"})
    assert [m.title for m in await _store(db).list_matters(stage="proposal")] == ["同步来的"]
    found, total = await _store(db).find_matters(stage="consultation", limit=10)
    assert [m.title for m in found] == ["保留"] and total == 1


async def test_roster_edits_of_a_stale_revision_are_refused(db: sync.Database) -> None:
    seat = await _store(db).add_member(
        Member("residents_council", "陈秀英", "议事员", date(2024, 1, 1))
    )
    read = await _store(db).get_member(seat.id)
    assert read.rev and not read.conflicts
    await _store(db).update_member(Member(**{**read.__dict__, "role": "副会长"}))
    with pytest.raises(EditConflict):
        await _store(db).update_member(Member(**{**read.__dict__, "role": "会长"}))
    assert (await _store(db).get_member(seat.id)).role == "副会长"


async def test_ceremonies_are_checked_against_the_standard(db: sync.Database) -> None:
    from village_app.domain import Ceremony

    await _store(db).add_member(
        Member("weddings_funerals_council", "吴春梅", "理事", date(2024, 1, 1))
    )
    await _store(db).add_village_rule(
        "红白事标准",
        "简办标准",
        "婚宴不超过15桌",
        limits={"wedding": {"max_tables": 15}},
    )
    kept = await _store(db).add_ceremony(
        Ceremony("wedding", "林家", date(2026, 5, 1), 15, registered_by="吴春梅")
    )
    broken = await _store(db).add_ceremony(
        Ceremony("wedding", "陈家", date(2025, 5, 1), 16, registered_by="吴春梅")
    )
    assert (kept.kept, broken.kept) == (True, False)
    assert [c.id for c in await _store(db).list_ceremonies()] == [broken.id, kept.id]
    assert [c.id for c in await _store(db).list_ceremonies(year=2026)] == [kept.id]
    assert check_public(await db.get(kept.id), V) is not None
    with pytest.raises(Ineligible):
        await _store(db).add_ceremony(
            Ceremony("wedding", "王家", date(2026, 5, 1), 3, registered_by="路人")
        )


async def test_commendation_flag_follows_the_matter_onto_its_records(db: sync.Database) -> None:
    # The kiosk filter reads each record's own flags: a matter taken off the 红榜 must take its
    # records with it (before, they stayed public), and one put on it must bring them along.
    matter = await _store(db).create_matter(
        Matter(
            kind="council",
            title="好媳妇评选",
            body="moral_review_council",
            year=2026,
            commendation=True,
        ),
    )
    record = await _store(db).append_stage_record(
        matter.id,
        StageRecord(matter=matter.id, stage="council_proposal", held_at=T0, content="提名张某"),
    )
    assert (await db.get(record.id))["commendation"] is True
    matter = await _store(db).get_matter(matter.id)
    await _store(db).update_matter(Matter(**{**matter.__dict__, "commendation": False}))
    doc = await db.get(record.id)
    assert doc["commendation"] is False and doc["sensitive"] is True
    assert (
        doc["content"] == "提名张某" and doc["created_by"] == ACTOR.user
    )  # the evidence is unchanged
    matter = await _store(db).get_matter(matter.id)
    await _store(db).update_matter(Matter(**{**matter.__dict__, "commendation": True}))
    assert (await db.get(record.id))["commendation"] is True


async def test_keeping_an_older_version_of_a_matter_keeps_its_stage_current(
    db: sync.Database,
) -> None:
    matter = await _major(db)
    first = await db.get(matter.id)
    await _store(db).append_stage_record(matter.id, _meeting("proposal", 0))
    assert (await _store(db).get_matter(matter.id)).stage == "consultation"
    # Another laptop edited the title of the first version, before the proposal reached it.
    theirs = {
        **first,
        "title": "村道硬化（另一台电脑）",
        "_rev": "2-" + "0" * 32,
        "_revisions": {"start": 2, "ids": ["0" * 32, first["_rev"].split("-")[1]]},
    }
    await db.bulk_docs([theirs], new_edits=False)
    versions = await _store(db).list_conflicts(matter.id)
    older = next(v for v in versions if v["title"] == "村道硬化（另一台电脑）")
    kept = await _store(db).resolve_matter_conflict(matter.id, older)
    assert (
        kept.title == "村道硬化（另一台电脑）"
        and kept.stage == "consultation"
        and not kept.conflicts
    )
    assert [m.id for m in await _store(db).list_matters(stage="consultation")] == [matter.id]
