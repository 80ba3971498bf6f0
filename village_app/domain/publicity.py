"""What may leave the village for the kiosk (DOMAIN.md, "What is public").

Public: published resolutions and implementation results, council rosters
(names and roles), the village rules (村规民约) and the weddings-and-funerals
standard, and the village's own name. Never: votes of named people,
moral-review records about named people unless published as a commendation,
phone or ID numbers, draft matters. Anything not known to be public is not
(deny by default).

:func:`is_public` decides for one document; :func:`kiosk_selector` is the same
decision as a Mango selector for filtered replication (the tests check that the
two agree). The document shapes are those the store writes
(:mod:`village_app.records_store`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from village_app.domain.procedure import PUBLICATION_STAGES, PUBLISHED_MATTER_STAGES


class DocType(StrEnum):
    """The ``type`` of every document the app writes."""

    VILLAGE = "village"
    BODY = "body"  # a body's charter and rule (the roster is its members)
    MEMBER = "member"  # a seat: name, role, term (public)
    MEMBER_PRIVATE = "member_private"  # phone, close relatives (never public)
    MATTER = "matter"
    STAGE_RECORD = "stage_record"
    SUPERVISION = "supervision"
    VILLAGE_RULE = "village_rule"  # 村规民约, 红白事标准 (kind says which)
    REVIEW = "review"  # county review (备案 / returned)
    CEREMONY = "ceremony"  # a wedding or funeral the council registered (names a family: private)


#: Fields that must never leave the village, whatever the type: a document that has any of
#: them (the store never writes them on public types) stays home. Dotted names are nested
#: fields, as in Mango: how named people voted, and who attended, are kept in a stage
#: record's ``vote`` and ``attendance``.
PRIVATE_FIELDS: tuple[str, ...] = (
    "phone",
    "id_number",
    "close_relatives",
    "vote_by_name",
    "attendees",
    "vote.by_name",
    "attendance.names",
)


def _has_field(doc: Mapping[str, Any], dotted: str) -> bool:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _has_private(doc: Mapping[str, Any]) -> bool:
    return any(_has_field(doc, f) for f in PRIVATE_FIELDS)


def _not_sensitive(doc: Mapping[str, Any]) -> bool:
    return doc.get("sensitive") is False or doc.get("commendation") is True


def is_public(doc: Mapping[str, Any]) -> bool:
    """Whether this document may be replicated to the kiosk."""
    if str(doc.get("_id", "")).startswith(("_design/", "_local/")) or _has_private(doc):
        return False
    kind = doc.get("type")
    if kind in (DocType.VILLAGE, DocType.BODY, DocType.MEMBER):
        return True
    if kind == DocType.VILLAGE_RULE:
        return doc.get("published") is True
    if kind == DocType.MATTER:
        return doc.get("stage") in PUBLISHED_MATTER_STAGES and _not_sensitive(doc)
    if kind == DocType.STAGE_RECORD:
        return doc.get("stage") in PUBLICATION_STAGES and _not_sensitive(doc)
    return False


def kiosk_selector() -> dict[str, Any]:
    """:func:`is_public` as a Mango selector (``changes(selector=...)`` / filtered replication)."""
    no_private = [{f: {"$exists": False}} for f in PRIVATE_FIELDS]
    not_sensitive = {"$or": [{"sensitive": False}, {"commendation": True}]}
    return {
        "$and": [
            # Not a design or _local document (their ids start with "_"): every public type's
            # id starts with its type's name.
            {"_id": {"$regex": "^[a-z]"}},
            *no_private,
            {
                "$or": [
                    {
                        "type": {
                            "$in": [DocType.VILLAGE.value, DocType.BODY.value, DocType.MEMBER.value]
                        }
                    },
                    {"type": DocType.VILLAGE_RULE.value, "published": True},
                    {
                        "$and": [
                            {"type": DocType.MATTER.value},
                            {"stage": {"$in": sorted(PUBLISHED_MATTER_STAGES)}},
                            not_sensitive,
                        ]
                    },
                    {
                        "$and": [
                            {"type": DocType.STAGE_RECORD.value},
                            {"stage": {"$in": sorted(PUBLICATION_STAGES)}},
                            not_sensitive,
                        ]
                    },
                ]
            },
        ]
    }
