"""Conflicts on editable documents (matters, rosters, bodies): shown and resolved, never dropped.

Two laptops (or a laptop and the county) may edit the same matter before they
sync; CouchDB then keeps both versions and picks a winner deterministically.
:func:`list_conflicts` gives the UI every version; :func:`resolve_conflict`
writes the version the secretary chose (or merged) on top of the winner and
deletes the other branches, so the history of all of them is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync.errors import NotFoundError
from village_app.domain import NotFound
from village_app.i18n import N_
from village_app.repo._base import Doc, StoreBase
from village_app.repo.quarantine import check
from village_app.repo.retry import raise_for_results


class ConflictRecords(StoreBase):
    async def list_conflicts(self, docid: str) -> list[Doc]:
        """The winning version first, then each conflicting version (empty when there is no
        conflict)."""
        winner = await self._get_doc(docid, missing=N_("记录不存在"), conflicts=True)
        revs = winner.get("_conflicts") or []
        if not revs:
            return []
        others = await self.db.get(docid, open_revs=list(revs))
        winner.pop("_conflicts", None)
        # A version that cannot be read is not offered (it is not shown, and cannot be kept);
        # keeping any other version closes its branch with the rest.
        return [
            v
            for v in [winner, *(r["ok"] for r in others if "ok" in r)]
            if check(v, self.village) is None
        ]

    async def conflicted(self, docids: Sequence[str]) -> list[str]:
        """Which of these documents have conflicting versions (missing ones are left out).
        One read per document: for a roster of a few dozen seats that is cheap."""
        found = []
        for docid in docids:
            try:
                doc = await self.db.get(docid, conflicts=True)
            except NotFoundError:
                continue
            if doc.get("_conflicts"):
                found.append(docid)
        return found

    async def resolve_conflict(self, docid: str, chosen: Mapping[str, Any]) -> str:
        """Keep ``chosen`` (the fields of one version, or a merge) and close the other branches.
        Returns the new revision."""
        winner = await self._get_doc(docid, missing=N_("记录不存在"), conflicts=True)
        losing = list(winner.get("_conflicts") or [])
        if not losing:
            raise NotFound(N_("此记录没有冲突"), ids=[docid])
        doc = {k: v for k, v in chosen.items() if not k.startswith("_")}
        for fixed in ("type", "village", "created_at", "created_by"):
            doc[fixed] = winner[fixed]  # what a document is and who made it never change
        doc.update(
            _id=docid,
            _rev=winner["_rev"],
            updated_at=self.actor.stamp(),
            updated_by=self.actor.user,
        )
        rev = await self._put_editable(doc)
        # Closing a losing branch cannot conflict (each names its own leaf), but a refusal must
        # not pass unseen: the conflict would stay while the page said it was resolved.
        raise_for_results(
            await self.db.bulk_docs([{"_id": docid, "_rev": r, "_deleted": True} for r in losing])
        )
        await self._publish(docid)
        return rev
