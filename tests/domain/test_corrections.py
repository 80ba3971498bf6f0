from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from domain.helpers import major
from village_app.domain import (
    Attendance,
    CorrectionInvalid,
    NotFound,
    Vote,
    correct_stage_record,
    effective,
    fold_corrections,
    fold_matter,
)


@dataclass(frozen=True)
class Note:
    id: str
    created_at: str
    corrects: str | None = None
    reason: str = ""


def test_a_correction_keeps_the_old_record_and_shows_both() -> None:
    story = major()
    story.add("proposal")
    story.add("consultation")
    review = story.add("review", attendance=Attendance(30, 24), vote=Vote(20, 2, 2))
    fixed = correct_stage_record(
        story.matter,
        story.history,
        review.id,
        story.make("review", attendance=Attendance(30, 24), vote=Vote(21, 1, 2)),
        "赞成票录入有误，按签字表更正",
    )
    assert fixed.corrects == review.id and fixed.reason == "赞成票录入有误，按签字表更正"
    story.history.append(story.stamp(fixed))
    view = fold_matter(story.matter, story.history)
    chain = view.stages[2].attempts[0]
    assert chain.corrected
    assert chain.current.vote == Vote(21, 1, 2)
    assert chain.superseded == (review,)  # the old record is still there
    assert view.corrections == [chain]
    assert view.current_stage == "resolution"


def test_a_correction_needs_a_reason_and_the_current_version() -> None:
    story = major()
    first = story.add("proposal")
    with pytest.raises(CorrectionInvalid) as info:
        correct_stage_record(story.matter, story.history, first.id, story.make("proposal"), "  ")
    assert info.value.field == "reason"
    with pytest.raises(NotFound):
        correct_stage_record(story.matter, story.history, "nope", story.make("proposal"), "错误")
    story.history.append(
        story.stamp(
            correct_stage_record(
                story.matter, story.history, first.id, story.make("proposal"), "时间有误"
            )
        )
    )
    with pytest.raises(CorrectionInvalid) as info:
        correct_stage_record(
            story.matter, story.history, first.id, story.make("proposal"), "再次更正"
        )
    assert info.value.field == "corrects"


def test_a_correction_is_validated_like_the_original() -> None:
    story = major()
    story.add("proposal")
    story.add("consultation")
    review = story.add("review")
    with pytest.raises(Exception) as info:
        correct_stage_record(
            story.matter,
            story.history,
            review.id,
            story.make("review", attendance=Attendance(30, 24), vote=Vote(30, 0, 0)),
            "更正",
        )
    assert getattr(info.value, "code", "") == "vote_arithmetic"


def test_a_correction_may_not_undo_a_stage_later_stages_rest_on() -> None:
    story = major()
    story.add("proposal")
    story.add("consultation")
    review = story.add("review")
    story.add("resolution")
    with pytest.raises(CorrectionInvalid):
        correct_stage_record(
            story.matter,
            story.history,
            review.id,
            story.make("review", attendance=Attendance(30, 15), vote=Vote(15, 0, 0)),
            "实到人数有误",
        )


def test_a_correction_may_turn_a_failed_meeting_into_a_valid_one_when_nothing_follows() -> None:
    story = major()
    for key in ("proposal", "consultation", "review"):
        story.add(key)
    failed = story.add("resolution", attendance=Attendance(30, 20), vote=Vote(18, 1, 1))
    fixed = correct_stage_record(
        story.matter,
        story.history,
        failed.id,
        story.make("resolution", attendance=Attendance(30, 21), vote=Vote(18, 2, 1)),
        "漏记一名代表",
    )
    story.history.append(story.stamp(fixed))
    assert fold_matter(story.matter, story.history).current_stage == "resolution_publication"


def test_fold_keeps_concurrent_corrections() -> None:
    notes = [
        Note("a", "1"),
        Note("b", "2", corrects="a", reason="x"),  # laptop 1
        Note("c", "3", corrects="a", reason="y"),  # laptop 2, same target
        Note("d", "4"),
        Note("e", "5", corrects="b", reason="z"),
    ]
    chains = fold_corrections(reversed(notes))
    assert [c.root.id for c in chains] == ["a", "d"]
    assert chains[0].current.id == "e" and {n.id for n in chains[0].superseded} == {"a", "b", "c"}
    assert [n.id for n in effective(notes)] == ["e", "d"]


def test_fold_tolerates_a_dangling_reference() -> None:
    chains = fold_corrections([Note("b", "2", corrects="gone", reason="x")])
    assert chains[0].current.id == "b" and not chains[0].superseded


def test_records_are_frozen() -> None:
    story = major()
    record = story.add("proposal")
    with pytest.raises(AttributeError):
        record.content = "改写"  # type: ignore[misc]
    assert replace(record, content="x") is not record
