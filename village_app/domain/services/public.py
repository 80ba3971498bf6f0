"""What of the service lists the villagers' kiosk may show, and the one thing it writes: the
seam between issue 13 and the kiosk (issue 12's public twins, :mod:`village_app.domain.publicity`).

The kiosk lists the village's service projects, its posts and who holds them, and the
services delivered. The projections below are those allow-lists: a project's title, its
organisation, kind, schedule and dates (never the needs it serves: they point at people);
a post's name, duties and its holders' names (public, as a roster is); a service's day,
what was done and how many people (never who). A need is never public, in any form.

A villager's rating at the kiosk is a :class:`~village_app.domain.services.Rating` with
``source="kiosk"`` and the kiosk's id as ``device``, made by :func:`kiosk_rating`: anonymous
(no name, no free text), one project, scores 1..5 on the five 心. The county counts it with
the others (by organisation, by kind) and shows a flood from one kiosk as such
(:func:`~village_app.domain.services.bursts`, and the county index's ``svc_kiosk_days``).
How it reaches the county without the kiosk holding a secretary's credentials is the
kiosk's part (a database of its own that admits only such documents is one way): the county
index reads any ``service_rating`` document of the village's database, whatever wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from village_app.domain.errors import ValidationError
from village_app.domain.services.lists import Project
from village_app.domain.services.logs import Claim, Post, ServiceLog
from village_app.domain.services.ratings import Rating, validate_rating
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


def public_post(post: Post, holders: Sequence[Claim]) -> dict[str, Any]:
    return {
        "name": post.name,
        "duties": post.duties,
        "key": post.key,
        "holders": [{"name": c.holder, "kind": c.holder_kind} for c in holders],
    }


def public_service_log(log: ServiceLog) -> dict[str, Any]:
    return {
        "project_id": log.project_id,
        "served_on": log.served_on.isoformat(),
        "what": log.what,
        "people_served": log.people_served,
    }


def kiosk_rating(project_id: str, scores: Mapping[str, int], day: date, device: str) -> Rating:
    """A villager's rating given at the kiosk ``device`` (validated; anonymous)."""
    if not device.strip():
        raise ValidationError(N_("查询机编号不能为空"), field="device")
    return validate_rating(
        Rating(project_id, dict(scores), day, source="kiosk", device=device.strip())
    )
