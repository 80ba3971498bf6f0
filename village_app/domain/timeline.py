"""The matter page's view: every stage in order with its attempts, corrections folded in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from village_app.domain.corrections import Chain, fold_corrections
from village_app.domain.matters import Matter
from village_app.domain.procedure import COMPLETED, StageSpec, stages_for
from village_app.domain.records import StageRecord
from village_app.domain.supervision import SupervisionEntry, SupervisionThread, fold_supervision
from village_app.i18n import N_

#: A stage's status on the matter page -> its label (a msgid).
STAGE_STATUS_NAMES: dict[str, str] = {
    "done": N_("已完成"),
    "failed": N_("未通过，可重新召开"),
    "next": N_("待办理"),
    "pending": N_("未开始"),
}


@dataclass(frozen=True)
class StageView:
    spec: StageSpec
    attempts: tuple[Chain[StageRecord], ...]  # oldest first; failed meetings stay visible
    status: str  # "done" | "failed" (held, did not count; may be held again) | "next" | "pending"

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def status_name(self) -> str:
        """The status's label, a msgid."""
        return STAGE_STATUS_NAMES[self.status]

    @property
    def record(self) -> StageRecord | None:
        """The successful record, if the stage is done."""
        for chain in self.attempts:
            if chain.current.succeeded:
                return chain.current
        return None


@dataclass(frozen=True)
class MatterView:
    matter: Matter
    stages: tuple[StageView, ...]
    supervision: tuple[SupervisionThread, ...] = ()

    @property
    def next_stage(self) -> StageSpec | None:
        for view in self.stages:
            if not view.done:
                return view.spec
        return None

    @property
    def current_stage(self) -> str:
        spec = self.next_stage
        return spec.key if spec else COMPLETED

    @property
    def completed(self) -> bool:
        return self.next_stage is None

    @property
    def corrections(self) -> list[Chain[StageRecord]]:
        return [c for v in self.stages for c in v.attempts if c.corrected]


def fold_matter(
    matter: Matter,
    records: Sequence[StageRecord],
    supervision: Sequence[SupervisionEntry] = (),
) -> MatterView:
    chains = fold_corrections(r for r in records if r.matter == matter.id or not matter.id)
    views: list[StageView] = []
    blocked = False  # a stage after one not done is pending
    for spec in stages_for(matter.procedure):
        attempts = tuple(c for c in chains if c.root.stage == spec.key)
        if any(c.current.succeeded for c in attempts):
            status = "done"
        elif blocked:
            status = "pending"
        else:
            status = "failed" if attempts else "next"
        blocked = blocked or status != "done"
        views.append(StageView(spec, attempts, status))
    threads = fold_supervision([s for s in supervision if s.matter == matter.id or not matter.id])
    return MatterView(matter, tuple(views), tuple(threads))
