"""Supervision entries by the village affairs supervision committee: storing and folding."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from village_app.domain import (
    BodyKind,
    DocType,
    NotFound,
    SupervisionEntry,
    SupervisionThread,
    fold_supervision,
    record_supervision,
)
from village_app.domain.corrections import check_correction
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.organisation import OrganisationRecords


class SupervisionRecords(OrganisationRecords):
    async def list_supervision_entries(
        self, *, matter: str | None = None
    ) -> list[SupervisionEntry]:
        selector: dict[str, Any] = {"type": DocType.SUPERVISION}
        if matter:
            selector["matter"] = matter
        return self._read(await self._find_all(selector), docs.supervision_from_doc)

    async def list_supervision(
        self, *, matter: str | None = None, open_only: bool = False
    ) -> list[SupervisionThread]:
        threads = fold_supervision(await self.list_supervision_entries(matter=matter))
        return [t for t in threads if t.is_open] if open_only else threads

    async def add_supervision(
        self, entry: SupervisionEntry, *, thread_id: str | None = None, key: str | None = None
    ) -> SupervisionEntry:
        """A new finding, or (with ``thread_id``) a follow-up that moves the thread's status.
        ``key``: the form's idempotency key (a repeat returns the first entry)."""
        docid = self._keyed_id(DocType.SUPERVISION, key)
        first = await self._first_result(docid, docs.supervision_from_doc)
        if first is not None:
            return first
        self._window().check(entry.noted_at, field="noted_at")
        roster = await self.list_members(BodyKind.SUPERVISION_COMMITTEE)
        thread: SupervisionThread | None = None
        if thread_id:
            threads = {t.id: t for t in await self.list_supervision()}
            thread = threads.get(thread_id)
            if thread is None:
                raise NotFound(N_("监督事项不存在"), ids=[thread_id])
        checked = record_supervision(entry, roster, thread, today=date.today())
        doc = docs.supervision_to_doc(self.village, replace(checked, id=docid or ""), self.actor)
        return await self._put_once(doc, docs.supervision_from_doc) or docs.supervision_from_doc(
            doc
        )

    async def correct_supervision(
        self, target_id: str, entry: SupervisionEntry, reason: str
    ) -> SupervisionEntry:
        """A correction of a supervision entry: a new entry referencing it, with a reason."""
        self._window().check(entry.noted_at, field="noted_at")
        entries = await self.list_supervision_entries()
        target = check_correction(entries, target_id, reason)
        roster = await self.list_members(BodyKind.SUPERVISION_COMMITTEE)
        corrected = SupervisionEntry(
            finding=entry.finding.strip() or target.finding,
            recorded_by=entry.recorded_by.strip(),
            status=entry.status,
            follow_up=entry.follow_up.strip(),
            noted_at=entry.noted_at or target.noted_at,
            matter=target.matter,
            stage_record=target.stage_record,
            thread=target.thread,
            corrects=target_id,
            reason=reason.strip(),
        )
        # Who recorded it and the status are checked; the thread's transitions were checked
        # when the original was made (a correction restates that step, it does not take a new
        # one).
        record_supervision(replace(corrected, thread=None), roster, None, today=date.today())
        doc = docs.supervision_to_doc(self.village, corrected, self.actor)
        await self._put_new(doc)
        return docs.supervision_from_doc(doc)
