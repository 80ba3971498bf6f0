"""Weddings and funerals registered by the 红白理事会, checked against the village standard."""

from __future__ import annotations

from typing import Any

from village_app.domain import (
    BodyKind,
    Ceremony,
    CeremonyLimits,
    DocType,
    Ineligible,
    Problems,
    active_members,
    limits_from_data,
    register_ceremony,
)
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.organisation import OrganisationRecords

STANDARD_KIND = "红白事标准"


class CeremonyRecords(OrganisationRecords):
    async def ceremony_limits(self) -> dict[str, CeremonyLimits]:
        """The caps of the latest published 红白事标准 (none when the village has not set them)."""
        standards = [
            d for d in await self.list_village_rules(kind=STANDARD_KIND) if d.get("published")
        ]
        return limits_from_data(standards[-1].get("limits")) if standards else {}

    async def add_ceremony(
        self, ceremony: Ceremony, *, key: str | None = None, problems: Problems | None = None
    ) -> Ceremony:
        """Register an event: ``registered_by`` must sit on the council; whether the standard
        was kept is computed from the standard in force. ``key``: the form's idempotency key;
        ``problems``: what the caller found wrong already (raised with the rest)."""
        docid = self._keyed_id(DocType.CEREMONY, key)
        first = await self._first_result(docid, docs.ceremony_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        # The date first: a future one made the council check below say the registrar was not
        # a serving member, which was not the cause.
        with problems.check():
            self._window().check(ceremony.held_on, field="held_on")
        if not problems.about("held_on"):
            council = active_members(
                await self.list_members(BodyKind.WEDDINGS_FUNERALS_COUNCIL, private=False),
                BodyKind.WEDDINGS_FUNERALS_COUNCIL,
                ceremony.held_on,
            )
            if ceremony.registered_by.strip() not in {m.name for m in council}:
                problems.add(
                    Ineligible(
                        N_("%(name)s不是红白理事会的在任成员"),
                        {"name": ceremony.registered_by},
                        field="registered_by",
                    )
                )
        checked = register_ceremony(ceremony, await self.ceremony_limits(), problems)
        doc = docs.ceremony_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._put_once(doc, docs.ceremony_from_doc) or docs.ceremony_from_doc(doc)

    async def list_ceremonies(self, *, year: int | None = None) -> list[Ceremony]:
        """Registered events, oldest first (optionally of one year)."""
        selector: dict[str, Any] = {"type": DocType.CEREMONY}
        found = self._read(await self._find_all(selector), docs.ceremony_from_doc)
        if year is not None:
            found = [c for c in found if c.held_on.year == year]
        return sorted(found, key=lambda c: (c.held_on, c.id))
