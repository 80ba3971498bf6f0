from __future__ import annotations

from datetime import timedelta

import pytest

from domain.helpers import council, major
from village_app.domain import (
    COMPLETED,
    COUNCIL_STAGES,
    MAJOR_STAGES,
    Attendance,
    CorrectionInvalid,
    NotQuorate,
    Publication,
    StageOrder,
    ValidationError,
    Vote,
    VoteRejected,
    fold_matter,
    next_stage,
    record_stage,
)


def test_six_stages_in_order() -> None:
    assert [s.key for s in MAJOR_STAGES] == [
        "proposal",
        "consultation",
        "review",
        "resolution",
        "resolution_publication",
        "result_publication",
    ]
    assert [s.number for s in MAJOR_STAGES] == [1, 2, 3, 4, 5, 6]
    first = next_stage("major", [])
    assert first is not None and first.key == "proposal"


def test_township_staff_attend_the_review_and_the_resolution() -> None:
    # DOMAIN.md: township staff attending stages 3-4 are recorded too.
    assert [s.key for s in MAJOR_STAGES if s.township_staff] == ["review", "resolution"]
    assert not any(s.township_staff for s in COUNCIL_STAGES)


def test_a_major_matter_goes_through_all_six() -> None:
    story = major()
    for spec in MAJOR_STAGES:
        story.add(spec.key)
    view = fold_matter(story.matter, story.history)
    assert view.completed and view.current_stage == COMPLETED
    assert [s.status for s in view.stages] == ["done"] * 6


@pytest.mark.parametrize(
    "skip_to",
    ["consultation", "review", "resolution", "resolution_publication", "result_publication"],
)
def test_no_stage_may_be_skipped(skip_to: str) -> None:
    story = major()
    with pytest.raises(StageOrder) as info:
        record_stage(story.matter, story.history, story.make(skip_to))
    assert info.value.field == "stage" and "党支部会提议" in info.value.message()
    assert info.value.status == 409


def test_a_done_stage_is_not_recorded_twice() -> None:
    story = major()
    story.add("proposal")
    with pytest.raises(StageOrder) as info:
        record_stage(story.matter, story.history, story.make("proposal"))
    assert "更正" in info.value.message()


def test_failed_quorum_is_kept_does_not_advance_and_may_be_retried() -> None:
    story = major()
    for key in ("proposal", "consultation", "review"):
        story.add(key)
    failed = story.add("resolution", attendance=Attendance(30, 20), vote=Vote(20, 0, 0))
    assert failed.outcome is not None and not failed.outcome.quorate and not failed.succeeded
    view = fold_matter(story.matter, story.history)
    assert view.current_stage == "resolution"
    assert view.stages[3].status == "failed"
    with pytest.raises(StageOrder):
        record_stage(story.matter, story.history, story.make("resolution_publication"))
    retried = story.add("resolution", attendance=Attendance(30, 21), vote=Vote(20, 1, 0))
    assert retried.succeeded
    view = fold_matter(story.matter, story.history)
    assert view.stages[3].status == "done" and len(view.stages[3].attempts) == 2
    assert view.stages[3].record == retried
    assert view.current_stage == "resolution_publication"


def test_rejected_vote_does_not_advance() -> None:
    story = major()
    story.add("proposal")
    story.add("consultation")
    rejected = story.add(
        "review", attendance=Attendance(30, 24), vote=Vote(15, 9, 0)
    )  # 15 of 30 expected
    assert rejected.outcome is not None and rejected.outcome.passed is False
    assert fold_matter(story.matter, story.history).current_stage == "review"


def test_refuse_failed_raises_named_errors() -> None:
    story = major()
    for key in ("proposal", "consultation", "review"):
        story.add(key)
    with pytest.raises(NotQuorate) as info:
        record_stage(
            story.matter,
            story.history,
            story.make("resolution", attendance=Attendance(30, 20), vote=Vote(20, 0, 0)),
            refuse_failed=True,
        )
    assert info.value.field == "present"
    with pytest.raises(VoteRejected):
        record_stage(
            story.matter,
            story.history,
            story.make("resolution", attendance=Attendance(30, 21), vote=Vote(10, 11, 0)),
            refuse_failed=True,
        )


def test_stage_body_and_required_fields() -> None:
    story = major()
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("proposal", body="residents_council"))
    assert info.value.field == "body"
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("proposal", attendance=None))
    assert info.value.field == "expected"
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("proposal", content="  "))
    assert info.value.field == "content"
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("proposal", held_at=None))
    assert info.value.field == "held_at"
    story.add("proposal")
    story.add("consultation")
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("review", vote=None))
    assert info.value.field == "in_favour"


def test_resolution_by_villagers_meeting_or_representatives_only() -> None:
    story = major()
    for key in ("proposal", "consultation", "review"):
        story.add(key)
    with pytest.raises(ValidationError) as info:
        record_stage(story.matter, story.history, story.make("resolution", body=""))
    assert info.value.field == "body"
    done = story.add(
        "resolution",
        body="villagers_meeting",
        attendance=Attendance(120, 85, "households"),
        vote=Vote(60, 20, 5),
    )
    assert done.succeeded and done.rule is not None


def test_publication_needs_where_and_rejects_counts() -> None:
    story = major()
    for key in ("proposal", "consultation", "review", "resolution"):
        story.add(key)
    with pytest.raises(ValidationError) as info:
        record_stage(
            story.matter, story.history, story.make("resolution_publication", publication=None)
        )
    assert info.value.field == "where"
    with pytest.raises(ValidationError) as info:
        record_stage(
            story.matter,
            story.history,
            story.make("resolution_publication", publication=Publication("", " ", story.clock)),
        )
    assert info.value.field == "where"
    with pytest.raises(ValidationError):
        record_stage(
            story.matter,
            story.history,
            story.make("resolution_publication", attendance=Attendance(3, 3)),
        )
    published = story.add("resolution_publication")
    assert published.publication is not None and published.publication.what == story.matter.title


def test_stage_dated_before_the_previous_one_is_refused() -> None:
    story = major()
    first = story.add("proposal")
    assert first.held_at is not None
    with pytest.raises(StageOrder) as info:
        record_stage(
            story.matter,
            story.history,
            story.make("consultation", held_at=first.held_at - timedelta(days=1)),
        )
    assert info.value.field == "held_at"


def test_subject_defaults_to_the_title_and_township_staff_kept() -> None:
    story = major("修建文化广场")
    record = story.add("proposal", township_staff=("乡镇干部 周明",))
    assert record.subject == "修建文化广场" and record.township_staff == ("乡镇干部 周明",)


def test_council_matter_five_steps() -> None:
    story = council()
    for key in (
        "council_proposal",
        "deliberation",
        "council_vote",
        "council_resolution",
        "council_publication",
    ):
        story.add(key)
    view = fold_matter(story.matter, story.history)
    assert view.completed
    assert (
        view.stages[2].record is not None
        and view.stages[2].record.body == "weddings_funerals_council"
    )


def test_council_vote_uses_the_council_rule() -> None:
    story = council()
    story.add("council_proposal")
    story.add("deliberation")
    failed = story.add(
        "council_vote", attendance=Attendance(7, 3), vote=Vote(3, 0, 0)
    )  # 3 of 7: not more than half
    assert not failed.succeeded
    assert fold_matter(story.matter, story.history).current_stage == "council_vote"


def test_record_stage_refuses_a_disguised_correction() -> None:
    story = major()
    story.add("proposal")
    with pytest.raises(CorrectionInvalid):
        record_stage(story.matter, story.history, story.make("consultation", corrects="rec-000"))


def test_naive_times_are_shanghai_wall_time() -> None:
    story = major()
    first = story.add("proposal")
    assert first.held_at is not None
    naive = (first.held_at + timedelta(days=1)).replace(tzinfo=None)
    second = story.add("consultation", held_at=naive)
    assert second.held_at is not None and second.held_at.utcoffset() == timedelta(hours=8)
    with pytest.raises(StageOrder):  # compared with aware times, never a TypeError
        record_stage(
            story.matter, story.history, story.make("review", held_at=naive - timedelta(days=5))
        )
