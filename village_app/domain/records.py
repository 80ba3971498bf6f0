"""Stage records: the evidence of each step of a matter (meetings, votes, resolutions, publications).

:func:`record_stage` validates a new record against the procedure and the rules
and returns it with the body's rule and the computed outcome filled in; a failed
meeting is returned too (it is evidence) but does not advance the matter.
:func:`correct_stage_record` does the same for a correction of an earlier record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from village_app.domain.corrections import check_correction, effective
from village_app.domain.dates import to_shanghai
from village_app.domain.errors import CorrectionInvalid, Problems, StageOrder, ValidationError
from village_app.domain.matters import MAX_TEXT, Matter
from village_app.domain.meetings import (
    Attendance,
    MeetingOutcome,
    Vote,
    evaluate_meeting,
    require_success,
    validate_attendance,
)
from village_app.domain.organisation import named_body
from village_app.domain.procedure import StageSpec, check_stage_allowed, stage_spec, stages_for
from village_app.domain.rules import BodyRule, RuleBook, rule_for
from village_app.i18n import N_, Message, Param, one_of

#: The forms a meeting takes: stored as written here (Chinese), so also msgids for display.
MEETING_FORMS: tuple[str, ...] = (N_("现场会议"), N_("视频会议"), N_("书面征求意见"))


@dataclass(frozen=True)
class Publication:
    """Where and when a publication (决议公开 / 实施结果公开) went up; the text is the record's content."""

    what: str  # the notice's title
    where: str  # e.g. 村务公开栏, 村微信群
    published_at: datetime


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment stored on the record (the scanned signed sheet, minutes, a photo)."""

    name: str
    content_type: str
    length: int = 0
    digest: str = ""


@dataclass(frozen=True)
class StageRecord:
    matter: str
    stage: str
    body: str = ""
    subject: str = ""  # 事由 (defaults to the matter's title)
    held_at: datetime | None = None
    place: str = ""
    form: str = "现场会议"  # 会议形式
    attendance: Attendance | None = None
    vote: Vote | None = None
    content: str = ""  # proposal / opinion / minutes / resolution / published text / outcome
    township_staff: tuple[str, ...] = ()  # 乡镇 staff attending (stages 3–4)
    publication: Publication | None = None
    rule: BodyRule | None = None  # the rule applied (filled in by record_stage)
    outcome: MeetingOutcome | None = None  # computed, never typed
    attachments: tuple[AttachmentRef, ...] = ()
    corrects: str | None = None
    reason: str = ""
    id: str = ""
    created_at: str = ""
    created_by: str = ""

    @property
    def succeeded(self) -> bool:
        """A meeting counts when quorate and not rejected; other records always count."""
        return self.outcome.succeeded if self.outcome is not None else True

    @property
    def when(self) -> datetime | None:
        return self.publication.published_at if self.publication else self.held_at


def done_stages(history: Sequence[StageRecord]) -> list[str]:
    """Stages with a successful effective record, in procedure order."""
    return [r.stage for r in effective(history) if r.succeeded]


def _validate_fields(
    matter: Matter,
    spec: StageSpec,
    record: StageRecord,
    rules: RuleBook | None,
    problems: Problems,
) -> StageRecord:
    """The record checked field by field; every field's error is gathered into ``problems``
    (which may already hold what the caller found, such as a number that was not one), so the
    form shows them all at once: the caller raises them. A check that would only repeat a
    field's error in other words is skipped."""
    ids = [i for i in (matter.id, record.id) if i]

    def refuse(msgid: str, field: str, params: dict[str, Param] | None = None) -> None:
        problems.add(ValidationError(msgid, params, field=field, ids=ids))

    # Naive times (typed without an offset) are Shanghai wall time; aware ones keep their instant.
    if record.held_at is not None:
        record = replace(record, held_at=to_shanghai(record.held_at))
    if record.publication is not None:
        record = replace(
            record,
            publication=replace(
                record.publication, published_at=to_shanghai(record.publication.published_at)
            ),
        )
    content = record.content.strip()
    if spec.text_required and not content:
        refuse(N_("请填写%(label)s"), "content", {"label": Message(spec.text_label)})
    if len(content) > MAX_TEXT:
        refuse(N_("内容不能超过%(max)s字"), "content", {"max": MAX_TEXT})
    subject = record.subject.strip() or matter.title
    if spec.publication:
        pub = record.publication
        if pub is None and not problems.about("published_at"):
            refuse(N_("请填写公开的地点和时间"), "where")
        elif pub is not None and not pub.where.strip():
            refuse(N_("请填写公开地点"), "where")
        if record.attendance is not None or record.vote is not None:
            refuse(N_("公开环节不记录出席和表决"), "present")
        if pub is None:
            return record
        pub = replace(pub, what=pub.what.strip() or subject, where=pub.where.strip())
        return replace(
            record,
            body="",
            subject=subject,
            content=content,
            publication=pub,
            rule=None,
            outcome=None,
        )
    allowed = spec.allowed_bodies(matter.body)
    body = record.body or (allowed[0] if len(allowed) == 1 else "")
    if body not in allowed:
        refuse(
            N_("此阶段应由%(bodies)s进行"),
            "body",
            {"bodies": one_of([named_body(b) for b in allowed])},
        )
    if record.held_at is None and not problems.about("held_at"):
        refuse(N_("请填写时间"), "held_at")
    counts = ("expected", "present", "basis", "attendees")
    if spec.meeting and record.attendance is None and not problems.about(*counts):
        refuse(N_("请填写应到和实到人数"), "expected")
    if record.attendance is not None and not problems.about(*counts):
        # The counts on their own, whatever the vote's state (in the form's order).
        with problems.check():
            validate_attendance(record.attendance)
    if record.form and record.form not in MEETING_FORMS:
        refuse(N_("会议形式应为现场会议、视频会议或书面征求意见"), "form")
    votes = ("in_favour", "against", "abstain", "by_name")
    if spec.vote and record.vote is None and not problems.about(*votes):
        refuse(N_("请填写表决票数"), "in_favour")
    if record.vote is not None and record.attendance is None and not problems.about(*counts):
        refuse(N_("表决须填写出席人数"), "expected")
    rule: BodyRule | None = None
    outcome: MeetingOutcome | None = None
    if record.attendance is not None:
        if not record.form.strip():
            refuse(N_("请填写会议形式"), "form")
        rule = rule_for(body, rules) if body in allowed else None
        if rule is not None and not problems.about(*counts, *votes):
            with problems.check():
                outcome = evaluate_meeting(rule, record.attendance, record.vote)
    return replace(
        record,
        body=body,
        subject=subject,
        content=content,
        rule=rule,
        outcome=outcome,
        publication=None,
    )


def _check_time(
    spec: StageSpec, record: StageRecord, earlier: Sequence[StageRecord], ids: list[str]
) -> None:
    when = record.when
    previous = [r.when for r in earlier if r.when is not None and r.succeeded]
    if when is not None and previous and when < max(previous):
        raise StageOrder(
            N_("“%(stage)s”的时间早于上一阶段"),
            {"stage": Message(spec.name)},
            field="published_at" if spec.publication else "held_at",
            ids=ids,
        )


def record_stage(
    matter: Matter,
    history: Sequence[StageRecord],
    record: StageRecord,
    rules: RuleBook | None = None,
    *,
    refuse_failed: bool = False,
    problems: Problems | None = None,
) -> StageRecord:
    """Validate ``record`` as the next step of ``matter`` (``history``: its stage records so far).

    Returns the record with body, subject, rule and outcome filled in. A meeting that is not
    quorate or whose vote fails is returned with that outcome (``succeeded`` False) so it can be
    kept as evidence; with ``refuse_failed`` it raises :class:`NotQuorate` / :class:`VoteRejected`.
    ``problems``: what the caller already found wrong with the form, raised with the fields'
    own errors (all of them at once, see :class:`Problems`).
    """
    ids = [i for i in (matter.id,) if i]
    problems = problems if problems is not None else Problems()
    if record.corrects:
        raise CorrectionInvalid(N_("更正请使用更正功能"), field="corrects", ids=ids)
    spec = check_stage_allowed(
        matter.procedure, done_stages(history), record.stage, matter_id=matter.id
    )
    checked = _validate_fields(
        matter, spec, replace(record, matter=matter.id or record.matter), rules, problems
    )
    if not problems.about("held_at", "published_at"):
        with problems.check():
            _check_time(spec, checked, effective(history), ids)
    problems.raise_any()
    if refuse_failed and checked.outcome is not None and checked.attendance is not None:
        require_success(checked.outcome, checked.attendance, tuple(ids))
    return checked


def correct_stage_record(
    matter: Matter,
    history: Sequence[StageRecord],
    target_id: str,
    record: StageRecord,
    reason: str,
    rules: RuleBook | None = None,
    problems: Problems | None = None,
) -> StageRecord:
    """Validate a correction of ``target_id``: same matter and stage, a reason, the target being
    the current version. A correction may not flip a stage from done to failed (or back) once a
    later stage has been recorded: the procedure built on it would no longer hold."""
    problems = problems if problems is not None else Problems()
    target = check_correction(history, target_id, reason, problems)
    spec = stage_spec(matter.kind, target.stage)
    checked = _validate_fields(
        matter,
        spec,
        replace(record, matter=matter.id or target.matter, stage=target.stage),
        rules,
        problems,
    )
    problems.raise_any()
    later = {s.key for s in stages_for(matter.procedure) if s.number > spec.number}
    if checked.succeeded != target.succeeded and any(r.stage in later for r in history):
        raise CorrectionInvalid(
            N_("更正会改变此阶段是否通过，而其后阶段已有记录，不能这样更正"),
            field="present",
            ids=[target_id],
        )
    return replace(checked, corrects=target_id, reason=reason.strip())
