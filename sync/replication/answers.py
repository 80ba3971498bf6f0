"""Checks on what the other side answered, before anything is written.

A replicator that trusts a malformed answer can write garbage or checkpoint
past documents it never copied. Every answer the protocol relies on is checked
here; a bad one raises :class:`MalformedAnswerError`, which fails the
replication before the batch is written or checkpointed, so both databases
stay as consistent as they were.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sync.database import Doc
from sync.errors import PeerError


class MalformedAnswerError(PeerError):
    """The other side answered something the replication protocol does not allow."""

    error = "malformed_answer"


class RevisionUnavailableError(PeerError):
    """The source listed a revision but could not give it just now (e.g. ``_bulk_get``'s
    per-document ``{"error": "timeout"}`` from a CouchDB cluster): retried, never skipped,
    or the checkpoint would pass a revision the target never got."""

    error = "revision_unavailable"


def _bad(location: str, call: str, what: str) -> MalformedAnswerError:
    return MalformedAnswerError(f"malformed answer from {location} to {call}: {what}")


@dataclass(frozen=True)
class ChangeRow:
    seq: Any
    docid: str
    revs: list[str]
    deleted: bool
    doc: Doc | None


@dataclass(frozen=True)
class ChangesPage:
    rows: list[ChangeRow]
    raw_count: int  # rows the feed returned, before any client-side filter
    last_seq: Any
    pending: int | None


def changes_page(answer: Any, location: str) -> ChangesPage:
    if not isinstance(answer, Mapping) or not isinstance(answer.get("results"), list):
        raise _bad(location, "_changes", "no results list")
    rows: list[ChangeRow] = []
    for row in answer["results"]:
        if not isinstance(row, Mapping) or not isinstance(row.get("id"), str) or "seq" not in row:
            raise _bad(location, "_changes", f"a result without id or seq: {str(row)[:80]}")
        changes = row.get("changes")
        if not isinstance(changes, list) or not changes:
            raise _bad(location, "_changes", f"no changes for {row['id']!r}")
        revs = [c.get("rev") for c in changes if isinstance(c, Mapping)]
        if len(revs) != len(changes) or not all(_is_rev(r) for r in revs):
            raise _bad(location, "_changes", f"a bad revision for {row['id']!r}")
        doc = row.get("doc")
        rows.append(
            ChangeRow(
                seq=row["seq"],
                docid=row["id"],
                revs=[str(r) for r in revs],
                deleted=bool(row.get("deleted")),
                doc=dict(doc) if isinstance(doc, Mapping) else None,
            )
        )
    last_seq = answer.get("last_seq")
    if last_seq is None:
        if rows:
            last_seq = rows[-1].seq
        else:
            raise _bad(location, "_changes", "no last_seq")
    pending = answer.get("pending")
    return ChangesPage(
        rows=rows,
        raw_count=len(rows),
        last_seq=last_seq,
        pending=pending if isinstance(pending, int) and not isinstance(pending, bool) else None,
    )


def missing_revs(
    answer: Any, asked: Mapping[str, list[str]], location: str
) -> dict[str, list[str]]:
    """The revisions ``_revs_diff`` reports missing; only ones that were asked about."""
    if not isinstance(answer, Mapping):
        raise _bad(location, "_revs_diff", "not a JSON object")
    missing: dict[str, list[str]] = {}
    for docid, entry in answer.items():
        if docid not in asked:
            raise _bad(location, "_revs_diff", f"an id that was not asked about: {docid!r}")
        revs = entry.get("missing") if isinstance(entry, Mapping) else None
        if not isinstance(revs, list) or not all(_is_rev(r) for r in revs):
            raise _bad(location, "_revs_diff", f"no list of missing revisions for {docid!r}")
        if any(r not in asked[docid] for r in revs):
            raise _bad(location, "_revs_diff", f"a revision that was not asked about for {docid!r}")
        if revs:
            missing[docid] = list(revs)
    return missing


def possible_ancestors(
    answer: Mapping[str, Any], missing: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """The ``possible_ancestors`` ``_revs_diff`` gave for the documents in ``missing``: leaves
    the target holds, from which a revision's older attachments need not be sent again
    (``atts_since``). Only an optimisation: anything malformed is left out."""
    out: dict[str, list[str]] = {}
    for docid in missing:
        entry = answer.get(docid)
        revs = entry.get("possible_ancestors") if isinstance(entry, Mapping) else None
        if isinstance(revs, list) and (known := [r for r in revs if _is_rev(r)]):
            out[docid] = known
    return out


def fetched_doc(
    doc: Any, docid: str, location: str, call: str, *, asked: Collection[str], latest: bool = False
) -> Doc:
    """A revision fetched from the source, fit to be written with ``new_edits=false``.

    It must be one of the revisions ``asked`` for ``docid``; with ``latest`` (CouchDB's
    ``latest=true``: the leaf a revision led to) it may instead descend from one of them,
    as its history shows. Anything else (another document, another revision: a ``7-b``
    for the ``1-a`` asked) is refused: written and checkpointed, it would stand for a
    revision the target then believes it holds and never asks for again."""
    if not isinstance(doc, Mapping) or doc.get("_id") != docid or not _is_rev(doc.get("_rev")):
        raise _bad(location, call, f"a document that is not the revision asked for of {docid!r}")
    if not _history_matches(doc.get("_revisions"), doc["_rev"]):
        # Written without its history, a revision would start a branch of its own on the
        # target: a conflict with its own ancestor, which nobody made.
        raise _bad(location, call, f"a missing or malformed _revisions history for {docid!r}")
    if not any(covers(doc, rev) if latest else doc["_rev"] == rev for rev in asked):
        raise _bad(
            location,
            call,
            f"revision {doc['_rev']} of {docid!r}, which was not asked for "
            f"(asked: {', '.join(sorted(asked))})",
        )
    atts = doc.get("_attachments")
    if atts is not None and not isinstance(atts, Mapping):
        raise _bad(location, call, f"malformed _attachments for {docid!r}")
    return dict(doc)


def write_failures(answer: Any, location: str) -> list[Mapping[str, Any]]:
    """The per-document failures of a ``new_edits=false`` ``_bulk_docs``."""
    if not isinstance(answer, list):
        raise _bad(location, "_bulk_docs", "not a list")
    failures = []
    for row in answer:
        if not isinstance(row, Mapping):
            raise _bad(location, "_bulk_docs", f"a result that is not an object: {str(row)[:80]}")
        if "error" in row:
            failures.append(row)
    return failures


def covers(doc: Mapping[str, Any], rev: str) -> bool:
    """Whether ``doc`` (with a checked ``_revisions``) is revision ``rev`` or descends from it."""
    revisions = doc.get("_revisions")
    if doc.get("_rev") == rev:
        return True
    if not isinstance(revisions, Mapping) or not _is_rev(rev):
        return False
    gen, _, sig = rev.partition("-")
    ids, start = revisions.get("ids"), revisions.get("start")
    if not isinstance(ids, list) or not isinstance(start, int):
        return False
    index = start - int(gen)
    return 0 <= index < len(ids) and ids[index] == sig


def _history_matches(revisions: Any, rev: str) -> bool:
    """Whether ``_revisions`` is a history ending in ``rev`` (a first revision may lack one)."""
    gen, _, sig = rev.partition("-")
    if revisions is None:
        return gen == "1"
    if not isinstance(revisions, Mapping):
        return False
    ids, start = revisions.get("ids"), revisions.get("start")
    return (
        isinstance(ids, list)
        and bool(ids)
        and ids[0] == sig
        and isinstance(start, int)
        and not isinstance(start, bool)
        and str(start) == gen
    )


def _is_rev(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    gen, _, sig = value.partition("-")
    return gen.isdigit() and bool(sig)
