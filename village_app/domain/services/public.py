"""What of the service lists the villagers' kiosk may show, and the one thing it writes: the
seam between issue 13 and the kiosk (issue 12's public twins, :mod:`village_app.domain.publicity`).

The kiosk lists the village's service projects, its posts and who holds them, and the
services delivered. The projections below are those allow-lists: a project's title, its
organisation, kind, schedule and dates (never the needs it serves: they point at people);
a post's name, duties and its holders' names (public, as a roster is); a service's day,
what was done and how many people (never who). A need is never public, in any form.

A villager's rating at the kiosk is a :class:`~village_app.domain.services.Rating` with
``source="kiosk"`` and the kiosk's account as ``device``, made by :func:`kiosk_rating`:
anonymous (no name, no free text), one project, scores 1..5 on the five 心. The kiosk keeps it
in a store of its own and pushes it to its inbox on the county, a database only its account
may write, which accepts nothing but such documents (:func:`check_kiosk_rating`, the same as
``validate_inbox.js``); the county merges the inbox into the village's database, where it is
counted with the others and a flood from one kiosk shows as such
(:func:`~village_app.domain.services.bursts`, the county index's ``svc_kiosk_days``). See
:mod:`village_app.county.inboxes` and docs/services.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from village_app.domain.errors import ValidationError
from village_app.domain.services.lists import Project
from village_app.domain.services.logs import Claim, Post, ServiceLog
from village_app.domain.services.ratings import SCORES, Rating, validate_rating
from village_app.domain.services.vocab import HEARTS, ServiceDoc
from village_app.i18n import N_


def public_project(project: Project) -> dict[str, Any]:
    return {
        "title": project.title,
        "organisation": project.organisation.name,
        "sector": project.organisation.sector,
        "kind": project.kind,
        "schedule": project.schedule,
        "starts_on": project.starts_on.isoformat(),
        "ends_on": project.ends_on.isoformat() if project.ends_on else None,
        "active": project.active,
    }


def public_post(post: Post) -> dict[str, Any] | None:
    """A post the village wrote (its name and duties), or ``None`` once retired. Who holds
    it is each claim's own twin (:func:`public_claim`)."""
    if post.retired:
        return None
    return {"name": post.name, "duties": post.duties, "key": post.key}


def public_claim(claim: Claim) -> dict[str, Any]:
    """Who holds a post, from when (until when): public, as a roster's names are."""
    return {
        "post_id": claim.post_id,
        "holder": claim.holder,
        "holder_kind": claim.holder_kind,
        "since": claim.since.isoformat(),
        "ended_on": claim.ended_on.isoformat() if claim.ended_on else None,
    }


def public_service_log(log: ServiceLog) -> dict[str, Any]:
    """A service delivered: the day, what, how many people; never who or where (a place can
    be a household), nor the volunteers. ``corrects`` lets the kiosk count what stands."""
    return {
        "project_id": log.project_id,
        "served_on": log.served_on.isoformat(),
        "what": log.what,
        "people_served": log.people_served,
        "corrects": log.corrects,
    }


def kiosk_rating(project_id: str, scores: Mapping[str, int], day: date, device: str) -> Rating:
    """A villager's rating given at the kiosk ``device`` (validated; anonymous)."""
    if not device.strip():
        raise ValidationError(N_("查询机编号不能为空"), field="device")
    return validate_rating(
        Rating(project_id, dict(scores), day, source="kiosk", device=device.strip())
    )


# -- the kiosk's inbox ------------------------------------------------------------------------
#: What a rating document from a kiosk may carry, and nothing else (no name, no free text).
INBOX_FIELDS: Final = (
    "type",
    "village",
    "created_at",
    "created_by",
    "project_id",
    "scores",
    "collected_on",
    "source",
    "device",
)
#: CouchDB's own fields a rating may arrive with (no attachments, never deleted).
INBOX_META: Final = ("_id", "_rev", "_revisions")
_ISO_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_kiosk_rating(doc: Any, village: str, kiosk: str) -> str | None:
    """``None`` when ``doc`` is a well-formed rating the kiosk account ``kiosk`` of
    ``village`` may leave in its inbox; else why not, as ``code`` or ``code: field``. Mirrors
    ``validate_inbox.js`` (a test runs both on the same documents); the county checks again
    before it merges the inbox into the village's database."""
    if not isinstance(doc, Mapping):
        return "not_a_document"
    docid = doc.get("_id")
    if not isinstance(docid, str) or docid.startswith(("_design/", "_local/")):
        return "design"
    if doc.get("_deleted") is True:
        return "deleted"
    for key in doc:
        if key not in INBOX_FIELDS and key not in INBOX_META:
            return f"field: {key}"
    if doc.get("type") != ServiceDoc.RATING:
        return "type"
    if doc.get("village") != village:
        return "village"
    if not docid.startswith(f"{ServiceDoc.RATING}:{village}:") or len(docid) > 200:
        return "id"
    if doc.get("source") != "kiosk":
        return "source"
    if doc.get("device") != kiosk or doc.get("created_by") != kiosk:
        return "device"
    project = doc.get("project_id")
    if (
        not isinstance(project, str)
        or not project.startswith(f"{ServiceDoc.PROJECT}:{village}:")
        or len(project) > 200
    ):
        return "project"
    scores = doc.get("scores")
    if not isinstance(scores, Mapping) or not scores:
        return "scores"
    for heart, score in scores.items():
        if heart not in HEARTS or isinstance(score, bool) or score not in SCORES:
            return "scores"
    day = doc.get("collected_on")
    if not isinstance(day, str) or not _ISO_DAY.fullmatch(day):
        return "date"
    if not isinstance(doc.get("created_at"), str) or len(doc["created_at"]) > 40:
        return "date"
    return None
