"""The service lists as the kiosk shows them (issue 13), read from their public twins: the
village's service projects (what, which organisation, when), its public-service posts and
who holds them, and the services delivered (the day, what, how many people).

Twins carry only what :data:`village_app.domain.publicity.PUBLIC_FIELDS` allows, and the
reader has checked each against that list already; here they are read leniently (a field of
an odd shape is left out, never fatal). A need is never among them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from village_app.domain.publicity import source_id
from village_app.domain.services import Claim, Post, effective, posts_of


def read_text(value: Any) -> str:
    """A text field of a replicated document ("" when it is not text)."""
    return value if isinstance(value, str) else ""


def read_day(value: Any) -> dt.date | None:
    """A date field of a replicated document (``None`` when it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class PublicService:
    """One service delivered."""

    id: str
    project_id: str  # "" for a pairing's activity
    served_on: dt.date
    what: str
    people_served: int
    corrects: str | None = None


@dataclass(frozen=True)
class PublicProject:
    id: str  # the project's own id (the twin's without its prefix)
    title: str
    organisation: str
    sector: str
    kind: str
    schedule: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    active: bool
    services: tuple[PublicService, ...] = ()  # newest first

    @property
    def people_served(self) -> int:
        return sum(s.people_served for s in self.services)


@dataclass(frozen=True)
class PublicHolder:
    name: str
    kind: str  # HOLDER_KINDS key
    since: dt.date


@dataclass(frozen=True)
class PublicPost:
    id: str
    name: str  # a msgid for the six named posts as they stand, else the village's words
    duties: str
    builtin: bool  # named, and not edited: name and duties are msgids
    holders: tuple[PublicHolder, ...]


@dataclass(frozen=True)
class PublicServices:
    projects: tuple[PublicProject, ...] = ()  # running first, then newest start
    posts: tuple[PublicPost, ...] = ()
    services: tuple[PublicService, ...] = field(default=())  # every standing one, newest first

    def project(self, project_id: str) -> PublicProject | None:
        return next((p for p in self.projects if p.id == project_id), None)

    @property
    def people_served(self) -> int:
        return sum(s.people_served for s in self.services)


def read_services(
    village: str,
    projects: Sequence[Mapping[str, Any]],
    posts: Sequence[Mapping[str, Any]],
    claims: Sequence[Mapping[str, Any]],
    logs: Sequence[Mapping[str, Any]],
    today: dt.date,
) -> PublicServices:
    """The twins (already checked, shown ones only) as the pages show them."""
    services = []
    for doc in logs:
        day = read_day(doc.get("served_on"))
        people = doc.get("people_served")
        if day is None or not isinstance(people, int) or isinstance(people, bool):
            continue
        corrects = read_text(doc.get("corrects"))
        services.append(
            PublicService(
                source_id(str(doc["_id"])),
                read_text(doc.get("project_id")),
                day,
                read_text(doc.get("what")),
                max(people, 0),
                corrects or None,
            )
        )
    standing = sorted(effective(services), key=lambda s: (s.served_on, s.id), reverse=True)
    listed = []
    for doc in projects:
        pid = source_id(str(doc["_id"]))
        listed.append(
            PublicProject(
                id=pid,
                title=read_text(doc.get("title")),
                organisation=read_text(doc.get("organisation")),
                sector=read_text(doc.get("sector")),
                kind=read_text(doc.get("kind")),
                schedule=read_text(doc.get("schedule")),
                starts_on=read_day(doc.get("starts_on")),
                ends_on=read_day(doc.get("ends_on")),
                active=doc.get("active") is not False,
                services=tuple(s for s in standing if s.project_id == pid),
            )
        )
    listed.sort(key=lambda p: (p.starts_on or dt.date.min, p.id), reverse=True)
    listed.sort(key=lambda p: not p.active)  # stable: running ones first
    return PublicServices(tuple(listed), _posts(village, posts, claims, today), tuple(standing))


def _posts(
    village: str,
    posts: Sequence[Mapping[str, Any]],
    claims: Sequence[Mapping[str, Any]],
    today: dt.date,
) -> tuple[PublicPost, ...]:
    stored = [
        Post(
            read_text(d.get("name")),
            read_text(d.get("duties")),
            read_text(d.get("key")),
            id=source_id(str(d["_id"])),
            created_at=str(d["_id"]),  # ULID order is creation order
        )
        for d in posts
    ]
    edited = {p.id for p in stored}
    held: list[Claim] = []
    for d in claims:
        since = read_day(d.get("since"))
        if since is None:
            continue
        held.append(
            Claim(
                read_text(d.get("post_id")),
                read_text(d.get("holder")),
                read_text(d.get("holder_kind")),
                since,
                read_day(d.get("ended_on")),
                id=source_id(str(d["_id"])),
            )
        )
    out = []
    for post in posts_of(village, stored):
        holders = sorted(
            (c for c in held if c.post_id == post.id and c.active_on(today) and c.holder),
            key=lambda c: (c.since, c.id),
        )
        out.append(
            PublicPost(
                post.id,
                post.name,
                post.duties,
                post.builtin and post.id not in edited,
                tuple(PublicHolder(c.holder, c.holder_kind, c.since) for c in holders),
            )
        )
    return tuple(out)
