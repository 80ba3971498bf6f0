"""An in-process text index of a village's records, kept current from the changes feed.

The search box looks for a piece of text (Chinese has no spaces, so a substring, not words)
in matter titles and summaries, stage-record contents, supervision entries and 红白事
registrations. Reading and parsing every document for each keystroke would cost seconds at
10,000 matters; instead the searchable text of each readable document is kept here, built
once from key ranges of ``_all_docs`` (ids are ``<type>:<village>:<ULID>``) and brought up to
date with ``changes(since=seq)`` before each search, as :mod:`~village_app.repo.matter_index`
does. A search is then one substring test per indexed record (a few milliseconds).

Only documents that pass their schema (the ``docs`` parsers) are indexed; the quarantine
lists the others. What a reader may see is decided by the caller: the ceremonies are kept
apart so only the secretary's searches read them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sync.database import Database
from village_app.domain import DocType
from village_app.repo import docs
from village_app.repo.feed import follow_changes
from village_app.repo.ids import make_id

Doc = dict[str, Any]

#: The kinds of record searched, in the order results are shown.
MATTER: Final = "matter"
STAGE_RECORD: Final = "stage_record"
SUPERVISION: Final = "supervision"
CEREMONY: Final = "ceremony"
KINDS: Final = (MATTER, STAGE_RECORD, SUPERVISION, CEREMONY)

#: Characters of context shown before and after the match (the rest is cut with "…").
_BEFORE: Final = 24
_AFTER: Final = 60
_SEPARATOR: Final = "\n"  # never in a query (whitespace is collapsed to one space)


@dataclass(frozen=True, slots=True)
class Entry:
    """One record's searchable text (``fields``: (field name, text), empty ones left out) and
    what a result needs to name and link it."""

    kind: str
    id: str
    created_at: str
    fields: tuple[tuple[str, str], ...]
    folded: str  # the fields, lower-cased, joined by _SEPARATOR: one test per record
    matter: str | None = None  # the matter it belongs to (stage records, supervision)
    stage: str = ""  # stage records: the stage key
    thread: str = ""  # supervision: the thread's first entry (the page's anchor)
    year: int | None = None  # ceremonies: the register's year
    title: str = ""  # matters: the title (results of its records are named by it)


@dataclass(frozen=True, slots=True)
class Hit:
    """A record that matched: the field it matched in, cut around the match; the template
    escapes each part and marks ``match`` (so a title containing markup stays text)."""

    entry: Entry
    field: str
    before: str
    match: str
    after: str


def _entry(
    kind: str, record_id: str, created_at: str, pairs: Iterable[tuple[str, str]], **link: Any
) -> Entry:
    fields = tuple((name, text) for name, text in pairs if text)
    folded = _SEPARATOR.join(text.lower() for _, text in fields)
    return Entry(kind, record_id, created_at, fields, folded, **link)


def _matter(doc: Mapping[str, Any]) -> Entry:
    m = docs.matter_from_doc(doc)
    return _entry(
        MATTER, m.id, m.created_at, (("title", m.title), ("summary", m.summary)), title=m.title
    )


def _stage_record(doc: Mapping[str, Any]) -> Entry:
    r = docs.stage_record_from_doc(doc)
    return _entry(
        STAGE_RECORD,
        r.id,
        r.created_at,
        (("subject", r.subject), ("content", r.content)),
        matter=r.matter,
        stage=r.stage,
    )


def _supervision(doc: Mapping[str, Any]) -> Entry:
    e = docs.supervision_from_doc(doc)
    # A follow-up names its thread; a correction of a first entry names the entry it corrects.
    thread = e.thread or e.corrects or e.id
    return _entry(
        SUPERVISION,
        e.id,
        e.created_at,
        (("finding", e.finding), ("follow_up", e.follow_up)),
        matter=e.matter,
        thread=thread,
    )


def _ceremony(doc: Mapping[str, Any]) -> Entry:
    c = docs.ceremony_from_doc(doc)
    return _entry(
        CEREMONY, c.id, c.created_at, (("family", c.family), ("note", c.note)), year=c.held_on.year
    )


_PARSERS: Final[dict[str, tuple[str, Callable[[Mapping[str, Any]], Entry]]]] = {
    DocType.MATTER: (MATTER, _matter),
    DocType.STAGE_RECORD: (STAGE_RECORD, _stage_record),
    DocType.SUPERVISION: (SUPERVISION, _supervision),
    DocType.CEREMONY: (CEREMONY, _ceremony),
}


def _newest(entry: Entry) -> tuple[str, str]:
    return entry.created_at, entry.id


def normalize_query(text: str, limit: int = 50) -> str:
    """What is searched for: whitespace collapsed, at most ``limit`` characters."""
    return " ".join(text.split())[:limit]


def _cut(text: str, query: str) -> tuple[str, str, str]:
    """``text`` around the first match of ``query`` (case-insensitive), as before/match/after."""
    start = text.lower().find(query) if len(text.lower()) == len(text) else -1
    if start < 0:  # lower() changed the length (rare letters): let the regex find it
        found = re.search(re.escape(query), text, re.IGNORECASE)
        if found is None:
            return "", "", text[: _BEFORE + _AFTER] + ("…" if len(text) > _BEFORE + _AFTER else "")
        start = found.start()
    end = start + len(query)
    before = text[max(0, start - _BEFORE) : start]
    after = text[end : end + _AFTER]
    return (
        ("…" if start > _BEFORE else "") + before,
        text[start:end],
        after + ("…" if end + _AFTER < len(text) else ""),
    )


def hit(entry: Entry, query: str) -> Hit:
    """Where in ``entry`` the (normalized, lower-cased) ``query`` matched."""
    for name, text in entry.fields:
        if query in text.lower():
            return Hit(entry, name, *_cut(text, query))
    name, text = entry.fields[0]  # only via a lower() that changed a length: show the first field
    return Hit(entry, name, *_cut(text, query))


@dataclass(eq=False)
class SearchIndex:
    """One village's searchable text in one database, and the sequence it is current to."""

    db: Database
    village: str
    seq: Any = None
    #: Each kind's entries, oldest first (so a search reads them newest first without sorting):
    #: ``_all_docs`` gives ULID order and the changes feed mostly brings newer ones; one that
    #: arrives out of order (an old record replicated late) marks its kind for one re-sort.
    entries: dict[str, dict[str, Entry]] = field(default_factory=lambda: {k: {} for k in KINDS})
    _unsorted: set[str] = field(default_factory=set)
    built: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _put(self, doc: Mapping[str, Any]) -> None:
        kind_parse = _PARSERS.get(str(doc.get("type")))
        if kind_parse is None or doc.get("village") != self.village:
            return
        kind, parse = kind_parse
        try:
            entry = parse(doc)
        except Exception:  # unreadable: quarantined elsewhere, never searched
            self._drop(str(doc.get("_id")))
            return
        entries = self.entries[kind]
        previous = entries.get(entry.id)
        if previous is not None and _newest(previous) != _newest(entry):
            self._unsorted.add(kind)  # an edit that changed when it was made: keep no position
        elif previous is None and entries:
            last = entries[next(reversed(entries))]
            if _newest(entry) < _newest(last):
                self._unsorted.add(kind)
        entries[entry.id] = entry

    def _sort(self, kind: str) -> None:
        ordered = sorted(self.entries[kind].values(), key=_newest)
        self.entries[kind] = {e.id: e for e in ordered}
        self._unsorted.discard(kind)

    def _drop(self, docid: str) -> None:
        for entries in self.entries.values():
            entries.pop(docid, None)

    async def _build(self) -> None:
        self.seq = (await self.db.info())["update_seq"]
        # Changes after `seq` are replayed by the catch-up; replaying one twice is harmless.
        for doc_type in _PARSERS:
            prefix = make_id(doc_type, self.village, "")
            rows = (
                await self.db.all_docs(startkey=prefix, endkey=prefix + "\ufff0", include_docs=True)
            )["rows"]
            for row in rows:
                if row.get("doc"):
                    self._put(row["doc"])
        for kind in list(self._unsorted):
            self._sort(kind)
        self.built = True

    async def _catch_up(self) -> None:
        self.seq = await follow_changes(self.db, self.seq, self._apply)

    def _apply(self, docid: str, doc: dict[str, Any] | None) -> None:
        if doc is None:
            self._drop(docid)
        else:
            self._put(doc)

    async def current(self) -> None:
        """Build the index on first use, then bring it up to date (one call when nothing changed)."""
        async with self._lock:  # two first searches at once build it once
            if not self.built:
                await self._build()
            await self._catch_up()

    def matching(self, kind: str, query: str, first: int) -> tuple[list[Entry], int]:
        """The newest ``first`` records of ``kind`` whose text contains ``query`` (normalized),
        and how many there are in all."""
        if kind in self._unsorted:
            self._sort(kind)
        folded = query.lower()
        found = [e for e in reversed(self.entries[kind].values()) if folded in e.folded]
        return found[:first], len(found)

    def matter_title(self, matter_id: str | None) -> str | None:
        entry = self.entries[MATTER].get(matter_id or "")
        return entry.title if entry else None
