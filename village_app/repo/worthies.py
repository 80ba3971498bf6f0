"""The worthies' association's advice and donations (see :mod:`village_app.domain.worthies`)."""

from __future__ import annotations

from village_app.domain import DocType, NotFound, Problems
from village_app.domain.worthies import CONTRIBUTION, Contribution, check_contribution
from village_app.i18n import N_
from village_app.repo.docs.worthies import contribution_from_doc, contribution_to_doc
from village_app.repo.organisation import OrganisationRecords


class WorthiesRecords(OrganisationRecords):
    async def add_contribution(
        self, entry: Contribution, *, key: str | None = None, problems: Problems | None = None
    ) -> Contribution:
        """Record advice or a donation. ``key``: the form's idempotency key (a repeat returns
        the first entry); ``problems``: what the caller found wrong already."""
        docid = self._keyed_id(CONTRIBUTION, key)
        first = await self._first_result(docid, contribution_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        with problems.check():
            self._window().check(entry.given_on, field="given_on")
        if entry.matter and not problems.about("matter"):
            try:
                doc = await self._get_doc(entry.matter, missing=N_("事项不存在"))
                found = doc.get("type") == DocType.MATTER
            except NotFound:
                found = False
            if not found:  # said beside the field it is about
                problems.add(NotFound(N_("事项不存在"), field="matter", ids=[entry.matter]))
        checked = check_contribution(entry, problems)
        doc = contribution_to_doc(self.village, checked, self.actor, docid=docid)
        return await self._put_once(doc, contribution_from_doc) or contribution_from_doc(doc)

    async def list_contributions(self, *, matter: str | None = None) -> list[Contribution]:
        """Entries, newest given first (of one matter, when asked)."""
        selector: dict[str, object] = {"type": CONTRIBUTION}
        if matter:
            selector["matter"] = matter
        found = self._read(await self._find_all(selector), contribution_from_doc)
        return sorted(found, key=lambda c: (c.given_on, c.created_at), reverse=True)
