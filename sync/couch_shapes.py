"""CouchDB's JSON shapes, and the small checks that keep a server's answers in them.

Pure functions used by :mod:`sync.couch`: what CouchDB itself checks before a
write, and how the answers of CouchDB-protocol servers that deviate from it
(pouchdb-server) are brought back to CouchDB's documented shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sync.couch_http import expect_dict, expect_list
from sync.database import MAX_DOCUMENT_SIZE, Doc
from sync.errors import BadRequestError, PeerError, peer_text

_REV_FORMAT = re.compile(r"^[0-9]+-.+$")

#: Known ways pouchdb-server (the test peer) answers differently from Apache CouchDB 3.5
#: that this module does not bring back to CouchDB's shape, because the difference is in
#: what the server stored, not in how it answers. Tests that meet one name it from here
#: and skip only that comparison on pouchdb-server (CouchDB is right).
PEER_QUIRKS = {
    "revision-held-twice": (
        "pouchdb-server ignores a new_edits=false write whose revision it already holds, "
        "whatever the ancestry sent (pouchdb-adapter-utils updateDoc: revExists), and shows "
        "a revision merged under a second parent with the first one's history. CouchDB "
        "merges the path anyway (couch_db_updater:merge_rev_tree -> couch_key_tree:merge): "
        "placed by its oldest revision, it holds the revision a second time under the "
        "other parent (a second leaf, or an interior node with the new leaf below it)."
    ),
}


def selector_filter_supported(welcome: Mapping[str, Any]) -> bool:
    """Whether a server's ``GET /`` welcome names Apache CouchDB 2 or later (which has
    ``filter=_selector``). pouchdb-server's welcome has ``express-pouchdb`` instead."""
    if "couchdb" not in welcome or "express-pouchdb" in welcome:
        return False
    major = str(welcome.get("version", "0")).split(".", 1)[0]
    return major.isdigit() and int(major) >= 2


def json_param(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def too_large(doc: Any, encoded: bytes | None = None) -> bool:
    """Whether CouchDB 3 would refuse ``doc`` by its ``max_document_size``.

    That limit is on the JSON body alone: attachments are limited apart
    (``max_attachment_size``, unlimited by default), so inline attachment data
    does not count, or a replication could not copy a photo of a few MB.
    ``encoded`` is ``doc``'s JSON where the caller has it already.
    """
    if isinstance(doc, Mapping) and "_attachments" in doc:
        doc = {k: v for k, v in doc.items() if k != "_attachments"}
        encoded = None
    if encoded is None:
        encoded = json_param(doc).encode()
    return len(encoded) > MAX_DOCUMENT_SIZE


def check_rev(rev: str | None, docid: str) -> None:
    """CouchDB refuses a ``rev`` that is not ``N-id`` with 400; pouchdb-server says 404."""
    if rev is not None and not _REV_FORMAT.match(rev):
        raise BadRequestError("Invalid rev format", docid=docid, rev=rev)


def missing_entry(docid: str, rev: str | None) -> Doc:
    return {
        "error": {"id": docid, "rev": rev or "undefined", "error": "not_found", "reason": "missing"}
    }


def bulk_get_entry(entry: Any, docid: str, rev: str | None, call: str = "_bulk_get") -> Doc:
    """One ``docs`` entry of ``_bulk_get`` (or of ``open_revs``, ``call`` says which) in
    CouchDB's shape, checked against what was asked: ``rev`` of ``docid``, or with no
    ``rev`` (``open_revs=all``) any leaf of ``docid``. An entry about another document or
    another revision is a :class:`PeerError`: passed on, it would be taken for the one asked."""
    entry = expect_dict(entry, f"a {call} docs entry")
    if "ok" in entry:
        doc = entry["ok"]
        if not isinstance(doc, Mapping) or doc.get("_id") != docid:
            raise PeerError(f"{call} answered another document for {docid!r}")
        if not isinstance(doc.get("_rev"), str) or not _REV_FORMAT.match(doc["_rev"]):
            raise PeerError(f"{call} answered {docid!r} without a valid revision")
        if rev is not None and doc["_rev"] != rev:
            raise PeerError(
                f"{call} answered revision {peer_text(doc['_rev'], 60)} of {docid!r} "
                f"for {rev} asked"
            )
        return {"ok": doc}
    if isinstance(entry.get("error"), dict):
        normal = {"error": entry["error"]}
    else:
        normal = missing_entry(docid, entry.get("missing", rev))
    said = normal["error"].get("rev")
    if rev is not None and isinstance(said, str) and _REV_FORMAT.match(said) and said != rev:
        raise PeerError(
            f"{call} answered an error for revision {peer_text(said, 60)} "
            f"of {docid!r} for {rev} asked"
        )
    return normal


def leaf_order(entries: Sequence[Doc]) -> list[Doc]:
    """``open_revs=all`` entries in CouchDB's order: ascending by generation, then rev id
    (fabric_doc_open_revs sorts its replies as Erlang terms); pouchdb-server lists the
    leaves in its own order. Entries without a doc keep their place after the docs."""

    def key(entry: Doc) -> tuple[int, int, str]:
        ok = entry.get("ok")
        rev = ok.get("_rev") if isinstance(ok, dict) else None
        if not isinstance(rev, str) or not _REV_FORMAT.match(rev):
            return (1, 0, "")
        gen, _, rid = rev.partition("-")
        return (0, int(gen), rid)

    return sorted(entries, key=key)


def bulk_get_results(answer: Any, requests: Sequence[Mapping[str, Any]]) -> list[Doc]:
    """A ``_bulk_get`` answer as one CouchDB-shaped result per request (ids unique in a round).

    A request without ``rev`` is CouchDB's ``open_revs=all``: all its leaves, in
    :func:`leaf_order`."""
    by_id = {
        expect_dict(result, "a _bulk_get result").get("id"): result
        for result in expect_list(
            expect_dict(answer, "the _bulk_get result").get("results"), "_bulk_get results"
        )
    }
    asked = {req["id"] for req in requests}
    extra = [docid for docid in by_id if docid not in asked]
    if extra:
        raise PeerError(
            f"_bulk_get answered for {peer_text(extra[0], 100)!r}, which was not asked for"
        )
    out = []
    for req in requests:
        found = by_id.get(req["id"])
        if found is None:
            raise PeerError(f"_bulk_get left out {req['id']!r}")
        docs = expect_list(found.get("docs"), "_bulk_get docs")
        if not docs:
            raise PeerError(f"_bulk_get answered nothing for {req['id']!r}")
        entries = [bulk_get_entry(d, req["id"], req.get("rev")) for d in docs]
        out.append(
            {"id": req["id"], "docs": leaf_order(entries) if req.get("rev") is None else entries}
        )
    return out


def bulk_get_rounds(requests: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Request indexes split so that no round names an id twice (pouchdb-server keeps only
    the last request per id), in order."""
    rounds: list[list[int]] = []
    pending = list(range(len(requests)))
    while pending:
        seen: set[str] = set()
        batch: list[int] = []
        later: list[int] = []
        for i in pending:
            docid = requests[i]["id"]
            (later if docid in seen else batch).append(i)
            seen.add(docid)
        rounds.append(batch)
        pending = later
    return rounds


def deleted_leaves(open_revs: Sequence[Any], winner: str) -> list[str]:
    """The deleted leaves other than ``winner`` in an ``open_revs=all`` answer, greatest first."""
    deleted = [
        entry["ok"]["_rev"]
        for entry in open_revs
        if isinstance(entry, dict)
        and isinstance(entry.get("ok"), dict)
        and entry["ok"].get("_deleted")
        and entry["ok"].get("_rev") != winner
    ]
    deleted.sort(key=lambda rev: (int(rev.split("-", 1)[0]), rev), reverse=True)
    return deleted
