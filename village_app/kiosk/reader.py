"""What the kiosk's pages read: the public twins in the kiosk's store, as plain objects.

Every document is checked against the allow-list again as it is read (the kiosk shows only
what :func:`village_app.domain.publicity.is_shown` passes) and read leniently: a field of an
odd shape is left out, never fatal. What was read is kept until the store changes (its
update sequence), so twenty people at the kiosk cost one read between pulls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sync.database import Database
from village_app.domain.dates import now_utc, to_shanghai
from village_app.domain.organisation import BODY_NAMES
from village_app.domain.publicity import DocType, is_shown, source_id
from village_app.kiosk.pull import KioskStatus, read_status
from village_app.kiosk.services import PublicServices, read_day, read_services, read_text

#: The 村规民约 and the 红白事标准, as the laptop's rules call them.
VILLAGE_RULES: Final = "村规民约"
CEREMONY_STANDARD: Final = "红白事标准"
RESULT_PUBLICATION: Final = "result_publication"
#: The stage each kind of matter publishes its resolution in.
RESOLUTION_PUBLICATIONS: Final = frozenset({"resolution_publication", "council_publication"})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return to_shanghai(moment)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class PublicStage:
    key: str
    date: dt.datetime | None
    quorate: bool | None = None
    passed: bool | None = None
    expected: int | None = None
    present: int | None = None
    in_favour: int | None = None
    against: int | None = None
    abstain: int | None = None
    content: str = ""
    what: str = ""
    where: str = ""

    @property
    def voted(self) -> bool:
        return self.in_favour is not None


@dataclass(frozen=True)
class PublicMatter:
    id: str  # the matter's own id (the twin's without its prefix)
    title: str
    kind: str
    body: str
    year: int | None
    summary: str
    category: str
    commendation: bool
    published_on: dt.date | None
    stages: tuple[PublicStage, ...]
    signature_hash: str = ""  # the content hash the laptop signed ("": not signed)

    def stage(self, key: str) -> PublicStage | None:
        return next((s for s in self.stages if s.key == key), None)

    @property
    def resolution(self) -> PublicStage | None:
        """The stage whose text is the decision (决议)."""
        return self.stage("resolution") or self.stage("council_resolution")

    @property
    def publication(self) -> PublicStage | None:
        return next((s for s in self.stages if s.key in RESOLUTION_PUBLICATIONS), None)

    @property
    def result(self) -> PublicStage | None:
        """The implementation result, once published (major matters)."""
        return self.stage(RESULT_PUBLICATION)

    @property
    def sort_key(self) -> tuple[dt.date, str]:
        return (self.published_on or dt.date.min, self.id)


@dataclass(frozen=True)
class PublicMember:
    body: str
    name: str
    role: str
    convenor: bool
    term_start: dt.date | None
    term_end: dt.date | None

    def in_office(self, day: dt.date) -> bool:
        return (self.term_start is None or self.term_start <= day) and (
            self.term_end is None or day <= self.term_end
        )


@dataclass(frozen=True)
class PublicRule:
    kind: str
    title: str
    text: str
    limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicVillage:
    code: str
    name: str
    township: str
    county: str


@dataclass(frozen=True)
class Snapshot:
    """Everything the kiosk shows, read at one update sequence."""

    village: PublicVillage | None
    matters: tuple[PublicMatter, ...]  # newest publication first
    members: tuple[PublicMember, ...]
    charters: Mapping[str, str]
    rules: tuple[PublicRule, ...]
    #: The service lists (issue 13): projects, posts and holders, services delivered.
    services: PublicServices = field(default_factory=PublicServices)

    def matter(self, matter_id: str) -> PublicMatter | None:
        return next((m for m in self.matters if m.id == matter_id), None)

    def rules_of(self, kind: str) -> list[PublicRule]:
        return [r for r in self.rules if r.kind == kind]


class KioskReader:
    """One kiosk store, read for the pages."""

    def __init__(self, db: Database, village: str) -> None:
        self.db = db
        self.village = village
        self._seq: Any = None
        self._snapshot: Snapshot | None = None

    async def status(self) -> KioskStatus | None:
        return await read_status(self.db)

    async def snapshot(self) -> Snapshot:
        seq = (await self.db.info()).get("update_seq")
        if self._snapshot is None or seq != self._seq:
            self._snapshot = await self._read()
            self._seq = seq
        return self._snapshot

    async def _docs(self, doc_type: str) -> list[dict[str, Any]]:
        found = await self.db.find({"type": doc_type})
        return [d for d in found.get("docs", []) if is_shown(d, self.village)]

    async def _read(self) -> Snapshot:
        villages = await self._docs(DocType.PUBLIC_VILLAGE)
        village = None
        if villages:
            v = villages[0]
            village = PublicVillage(
                read_text(v.get("code")),
                read_text(v.get("name")),
                read_text(v.get("township")),
                read_text(v.get("county")),
            )
        matters = sorted(
            (_matter(d) for d in await self._docs(DocType.PUBLIC_MATTER)),
            key=lambda m: m.sort_key,
            reverse=True,
        )
        members = tuple(_member(d) for d in await self._docs(DocType.PUBLIC_MEMBER))
        charters = {
            read_text(d.get("kind")): read_text(d.get("charter"))
            for d in await self._docs(DocType.PUBLIC_BODY)
        }
        rules = tuple(_rule(d) for d in await self._docs(DocType.PUBLIC_VILLAGE_RULE))
        services = read_services(
            self.village,
            await self._docs(DocType.PUBLIC_SERVICE_PROJECT),
            await self._docs(DocType.PUBLIC_SERVICE_POST),
            await self._docs(DocType.PUBLIC_POST_CLAIM),
            await self._docs(DocType.PUBLIC_SERVICE_LOG),
            to_shanghai(now_utc()).date(),
        )
        return Snapshot(village, tuple(matters), members, charters, rules, services)


def public_matter_of(doc: Mapping[str, Any]) -> PublicMatter:
    """A ``public_matter`` twin as the pages show it (the county's verify page too)."""
    return _matter(doc)


def _matter(doc: Mapping[str, Any]) -> PublicMatter:
    stages = []
    for item in doc.get("stages") or []:
        if not isinstance(item, Mapping):
            continue
        stages.append(
            PublicStage(
                key=read_text(item.get("stage")),
                date=_moment(item.get("date")),
                quorate=_flag(item.get("quorate")),
                passed=_flag(item.get("passed")),
                expected=_int(item.get("expected")),
                present=_int(item.get("present")),
                in_favour=_int(item.get("in_favour")),
                against=_int(item.get("against")),
                abstain=_int(item.get("abstain")),
                content=read_text(item.get("content")),
                what=read_text(item.get("what")),
                where=read_text(item.get("where")),
            )
        )
    return PublicMatter(
        id=source_id(str(doc["_id"])),
        title=read_text(doc.get("title")),
        kind=read_text(doc.get("kind")),
        body=read_text(doc.get("body")),
        year=_int(doc.get("year")),
        summary=read_text(doc.get("summary")),
        category=read_text(doc.get("category")),
        commendation=doc.get("commendation") is True,
        published_on=read_day(doc.get("published_on")),
        stages=tuple(stages),
        signature_hash=read_text((doc.get("signature") or {}).get("hash"))
        if isinstance(doc.get("signature"), Mapping)
        else "",
    )


def _member(doc: Mapping[str, Any]) -> PublicMember:
    return PublicMember(
        body=read_text(doc.get("body")),
        name=read_text(doc.get("name")),
        role=read_text(doc.get("role")),
        convenor=doc.get("convenor") is True,
        term_start=read_day(doc.get("term_start")),
        term_end=read_day(doc.get("term_end")),
    )


def _rule(doc: Mapping[str, Any]) -> PublicRule:
    limits: dict[str, dict[str, int]] = {}
    raw = doc.get("limits")
    if isinstance(raw, Mapping):
        for kind, caps in raw.items():
            if isinstance(caps, Mapping):
                limits[str(kind)] = {str(k): v for k, v in caps.items() if _int(v) is not None}
    return PublicRule(
        read_text(doc.get("kind")), read_text(doc.get("title")), read_text(doc.get("text")), limits
    )


#: The bodies in the order the roster page lists them (the organisation's own order).
BODY_ORDER: Final = tuple(BODY_NAMES)
