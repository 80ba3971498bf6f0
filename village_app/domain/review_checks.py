"""What a county reviewer checks on a matter, computed from its records.

Each check says what it looked at and whether it holds: the stages were held in order, each
meeting was quorate by the rule it was held under, each vote passed by the right majority,
the resolution was published in time (:mod:`.timeliness`), and each meeting's record carries a
scan (the signed attendance sheet). Recomputed from the evidence, never from flags a laptop
stored, so a reviewer sees what the records themselves show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from village_app.domain.meetings import evaluate_meeting
from village_app.domain.timeline import MatterView
from village_app.domain.timeliness import Timeliness, matter_timeliness
from village_app.i18n import N_, Message

__all__ = ["Check", "review_checks"]


@dataclass(frozen=True)
class Check:
    key: str  # order, quorum, majority, publication, signed_sheet
    stage: str | None  # the stage it is about, when it is about one
    ok: bool | None  # None: nothing to check yet
    message: Message


def review_checks(view: MatterView, *, now: datetime) -> list[Check]:
    checks: list[Check] = []
    done = [s for s in view.stages if s.done and s.record is not None]
    checks.append(_order(view))
    for stage in done:
        record = stage.record
        assert record is not None
        key = stage.spec.key
        if stage.spec.meeting and record.attendance is not None and record.rule is not None:
            try:
                outcome = evaluate_meeting(record.rule, record.attendance, record.vote)
            except Exception:  # counts the domain refuses: not quorate as far as we can tell
                outcome = None
            checks.append(
                Check(
                    "quorum",
                    key,
                    bool(outcome and outcome.quorate),
                    Message(
                        N_("实到 %(present)s 人，应到 %(expected)s 人，需至少 %(needed)s 人"),
                        {
                            "present": record.attendance.present,
                            "expected": record.attendance.expected,
                            "needed": outcome.quorum_needed if outcome else "?",
                        },
                    ),
                )
            )
            if record.vote is not None:
                checks.append(
                    Check(
                        "majority",
                        key,
                        bool(outcome and outcome.passed),
                        Message(
                            N_("赞成 %(yes)s 票，需至少 %(needed)s 票"),
                            {
                                "yes": record.vote.in_favour,
                                "needed": (outcome.votes_needed if outcome else None) or "?",
                            },
                        ),
                    )
                )
        if stage.spec.meeting:
            scans = len(record.attachments)
            checks.append(
                Check(
                    "signed_sheet",
                    key,
                    scans > 0,
                    Message(N_("附扫描件 %(count)s 份"), {"count": scans})
                    if scans
                    else Message(N_("缺签到表等扫描件")),
                )
            )
    checks.append(_publication(view, now))
    return checks


def _order(view: MatterView) -> Check:
    """Each stage held no earlier than the one before it."""
    last: datetime | None = None
    for stage in view.stages:
        record = stage.record if stage.done else None
        when = record.when if record is not None else None
        if when is None:
            continue
        if last is not None and when < last:
            return Check(
                "order",
                stage.spec.key,
                False,
                Message(N_("“%(stage)s”早于上一阶段"), {"stage": Message(stage.spec.name)}),
            )
        last = when
    return Check("order", None, True, Message(N_("各阶段按顺序进行")))


def _publication(view: MatterView, now: datetime) -> Check:
    state = matter_timeliness(view, now=now)
    return Check("publication", None, state.on_time, Message(_TIMELINESS[state]))


_TIMELINESS = {
    Timeliness.NOT_REQUIRED: N_("不需公开"),
    Timeliness.NOT_RESOLVED: N_("尚未决议"),
    Timeliness.PENDING: N_("已决议，公开期限未到"),
    Timeliness.ON_TIME: N_("按时公开"),
    Timeliness.LATE: N_("逾期公开"),
    Timeliness.OVERDUE: N_("逾期未公开"),
}
