"""Documents that cannot be read: found, listed, kept untouched, never fatal.

Every record the store reads passes the schema of its type (:mod:`village_app.repo.docs`). A
document that fails is *quarantined*: left out of every page, listed on the 无法读取的记录 page
with its id, revision and the reason, and left as it is in the database, so that a fixed
revision from the laptop or the county can still replicate over it (and then it is readable
again). :class:`QuarantineIndex` follows the changes feed, like the matters index, so the list
covers every document, not only those some page happened to read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sync.database import Database
from village_app.domain import DocType
from village_app.domain.worthies import CONTRIBUTION
from village_app.repo import docs
from village_app.repo.docs import services as service_docs
from village_app.repo.docs._fields import MalformedDocument
from village_app.repo.docs.worthies import contribution_from_doc
from village_app.repo.feed import follow_changes

log = logging.getLogger(__name__)

#: The schema of each type a village writes.
PARSERS: Final[Mapping[str, Callable[[Mapping[str, Any]], object]]] = {
    DocType.VILLAGE: docs.village_from_doc,
    DocType.BODY: docs.body_from_doc,
    DocType.MEMBER: docs.member_from_docs,
    DocType.VILLAGE_RULE: docs.village_rule_from_doc,
    DocType.MATTER: docs.matter_from_doc,
    DocType.STAGE_RECORD: docs.stage_record_from_doc,
    DocType.SUPERVISION: docs.supervision_from_doc,
    DocType.CEREMONY: docs.ceremony_from_doc,
    DocType.REVIEW: docs.review_from_doc,
    **service_docs.PARSERS,
    CONTRIBUTION: contribution_from_doc,
}


@dataclass(frozen=True)
class Unreadable:
    """A quarantined document: which, which revision, of what type, and what is wrong."""

    id: str
    rev: str
    type: str
    reason: str


def check(doc: Mapping[str, Any], village: str) -> Unreadable | None:
    """Why ``doc`` cannot be read as a record of ``village`` (``None``: it can, or it is not a
    record type this version knows, which it leaves alone)."""
    doc_type = doc.get("type")
    parse = PARSERS.get(doc_type) if isinstance(doc_type, str) else None
    if parse is None:
        return None
    try:
        if doc.get("village") != village:
            raise MalformedDocument(
                doc.get("_id"), doc.get("_rev"), "village: another village's code"
            )
        parse(doc)
    except MalformedDocument as exc:
        return Unreadable(exc.docid, exc.rev, str(doc_type), exc.reason)
    except Exception as exc:  # a parser's own slip must quarantine too, never break a page
        return Unreadable(
            str(doc.get("_id")), str(doc.get("_rev", "")), str(doc_type), type(exc).__name__
        )
    return None


@dataclass(eq=False)
class QuarantineIndex:
    """Every unreadable document of one village database, kept current from the changes feed."""

    db: Database
    village: str
    seq: Any = "0"
    found: dict[str, Unreadable] = field(default_factory=dict)

    def note(self, item: Unreadable) -> None:
        """A reader met ``item`` (it is listed at once, before the feed gets there)."""
        if self.found.get(item.id) != item:
            log.warning("quarantined %s (%s): %s", item.id, item.rev or "no rev", item.reason)
        self.found[item.id] = item

    async def catch_up(self) -> list[Unreadable]:
        self.seq = await follow_changes(self.db, self.seq, self._apply)
        return sorted(self.found.values(), key=lambda u: (u.type, u.id))

    def _apply(self, docid: str, doc: dict[str, Any] | None) -> None:
        problem = None if doc is None else check(doc, self.village)
        if problem is None:
            self.found.pop(docid, None)
        else:
            self.note(problem)
