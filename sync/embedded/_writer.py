"""The write path: one ``BEGIN IMMEDIATE`` transaction per ``bulk_docs`` call.

Normal edits (``new_edits=true``) follow ``couch_db:prep_and_validate_updates``:
``_rev`` must name a leaf; no ``_rev`` is allowed for a new document or over
a deleted winner (the tombstone's branch is extended); anything else is a
per-document ``conflict`` result. Replicated edits (``new_edits=false``) merge
the given ``_revisions`` path into the tree and may create conflicts.

New revision ids are ``md5(parent rev, deleted flag, stored JSON body)`` in
hex: deterministic like CouchDB's (which hashes the same inputs in Erlang's
term format), so ids never collide and an identical edit of an identical
parent yields the identical revision.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.embedded import _attachments
from sync.embedded._docs import Incoming, check_size, dumps
from sync.embedded._schema import INDEXED_FIELDS
from sync.errors import BadRequestError, DocumentTooLargeError
from sync.revtree import RevTree, rev_generation, revisions_to_path

_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_CONFLICT = "Document update conflict."


@dataclass(slots=True)
class _DocState:
    tree: RevTree
    old_winner: str | None


def chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_trees(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[RevTree, str]]:
    out: dict[str, tuple[RevTree, str]] = {}
    for part in chunks(ids):
        marks = ",".join("?" * len(part))
        for docid, tree, winner in conn.execute(
            f"SELECT id, tree, winner FROM docs WHERE id IN ({marks})", part
        ):
            out[docid] = (RevTree.from_json(json.loads(tree)), winner)
    return out


def meta(conn: sqlite3.Connection, key: str) -> Any:
    return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]


def field_value(value: Any) -> Any:
    """How a field is stored in the ``fields`` table (see ``_find.py`` for why)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value)
    if isinstance(value, float | str):
        return value
    return dumps(value).encode()  # a BLOB sorts above all text, as arrays/objects do


def write(conn: sqlite3.Connection, docs: Sequence[Incoming], *, new_edits: bool) -> list[Any]:
    """Apply a validated batch atomically; returns CouchDB's ``_bulk_docs`` results."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        results = _Batch(conn, new_edits).apply(docs)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return results


class _Batch:
    def __init__(self, conn: sqlite3.Connection, new_edits: bool) -> None:
        self.conn = conn
        self.new_edits = new_edits
        self.states: dict[str, _DocState] = {}
        self.pending: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self.cut: list[tuple[str, str]] = []
        self.touched: dict[str, None] = {}

    def apply(self, docs: Sequence[Incoming]) -> list[Any]:
        conn = self.conn
        limit = int(meta(conn, "revs_limit"))
        ids = list(dict.fromkeys(d.id for d in docs if not d.is_local))
        for docid, (tree, winner) in load_trees(conn, ids).items():
            self.states[docid] = _DocState(tree, winner)
        results: list[Any] = []
        for doc in docs:
            if doc.is_local:
                res = _write_local(conn, doc, self.new_edits)
            elif self.new_edits:
                res = self._edit(doc)
            else:
                res = self._replicate(doc)
            if res is not None and (self.new_edits or "error" in res):
                results.append(res)
            if doc.id in self.touched:
                self.cut.extend((doc.id, r) for r in self.states[doc.id].tree.stem(limit))
        self._flush()
        return results

    # -- one document -------------------------------------------------------
    def _edit(self, doc: Incoming) -> dict[str, Any]:
        state = self.states.get(doc.id)
        tree = state.tree if state else None
        parent: str | None
        if doc.rev is not None:
            if tree is None or not tree.is_leaf(doc.rev):
                return {"id": doc.id, "error": "conflict", "reason": _CONFLICT}
            parent = doc.rev
        elif tree is None:
            parent = None
        else:
            winner = tree.winner()
            if not tree.nodes[winner].deleted:
                return {"id": doc.id, "error": "conflict", "reason": _CONFLICT}
            parent = winner
        gen = rev_generation(parent) + 1 if parent else 1
        body = doc.body
        body_json, refused = _encode_checked(doc)
        if refused is not None:
            return refused
        if "_attachments" in body:
            prior = self._attachments_of(doc.id, parent) if parent else {}
            body["_attachments"] = _attachments.resolve(
                self.conn, doc.id, body["_attachments"], prior, gen, new_edits=True
            )
        if body_json is None:
            body_json = dumps(body)
        digest = hashlib.md5(f"{parent or ''}\0{int(doc.deleted)}\0{body_json}".encode())
        rev = f"{gen}-{digest.hexdigest()}"
        if state is None:
            state = self.states[doc.id] = _DocState(RevTree(), None)
        state.tree.add_child(parent, rev, deleted=doc.deleted)
        self.pending[(doc.id, rev)] = (body, body_json)
        self.touched[doc.id] = None
        return {"ok": True, "id": doc.id, "rev": rev}

    def _replicate(self, doc: Incoming) -> dict[str, Any] | None:
        assert doc.rev is not None
        path = revisions_to_path(doc.rev, doc.revisions)
        state = self.states.get(doc.id)
        if state is not None and path[0] in state.tree:
            return None  # already known: CouchDB leaves the document alone
        body = doc.body
        body_json, refused = _encode_checked(doc)
        if refused is not None:
            return refused
        if "_attachments" in body:
            prior: dict[str, Any] = {}
            if state is not None:
                holder = next(
                    (r for r in path[1:] if r in state.tree and state.tree.nodes[r].has_body),
                    None,
                )
                prior = self._attachments_of(doc.id, holder) if holder else {}
            body["_attachments"] = _attachments.resolve(
                self.conn, doc.id, body["_attachments"], prior, rev_generation(path[0]), new_edits=False
            )
        if body_json is None:
            body_json = dumps(body)
        if state is None:
            state = self.states[doc.id] = _DocState(RevTree(), None)
        state.tree.merge_path(path, deleted=doc.deleted)
        self.pending[(doc.id, path[0])] = (body, body_json)
        self.touched[doc.id] = None
        return None

    def _attachments_of(self, docid: str, rev: str) -> dict[str, Any]:
        body = self._body(docid, rev)
        atts = body.get("_attachments") if body else None
        return atts if isinstance(atts, dict) else {}

    def _body(self, docid: str, rev: str) -> dict[str, Any] | None:
        hit = self.pending.get((docid, rev))
        if hit is not None:
            return hit[0]
        row = self.conn.execute(
            "SELECT body FROM revs WHERE doc_id = ? AND rev = ?", (docid, rev)
        ).fetchone()
        return json.loads(row[0]) if row else None

    # -- the end of the batch -------------------------------------------------
    def _flush(self) -> None:
        conn = self.conn
        seq = int(meta(conn, "update_seq"))
        doc_rows, field_rows, field_deletes = [], [], []
        for docid in self.touched:
            state = self.states[docid]
            seq += 1
            winner = state.tree.winner()
            deleted = state.tree.nodes[winner].deleted
            doc_rows.append((docid, seq, winner, int(deleted), dumps(state.tree.to_json())))
            if winner != state.old_winner:
                body = None if deleted else self._body(docid, winner)
                if body is None:
                    field_deletes.append((docid,))
                else:
                    field_rows.append((docid, *(field_value(body.get(f)) for f in INDEXED_FIELDS)))
        conn.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "seq = excluded.seq, winner = excluded.winner, deleted = excluded.deleted, "
            "tree = excluded.tree",
            doc_rows,
        )
        conn.executemany(
            "INSERT OR REPLACE INTO revs VALUES (?, ?, ?)",
            [
                (docid, rev, body_json)
                for (docid, rev), (_, body_json) in self.pending.items()
                if rev in self.states[docid].tree
            ],
        )
        if self.cut:
            conn.executemany("DELETE FROM revs WHERE doc_id = ? AND rev = ?", self.cut)
        if field_deletes:
            conn.executemany("DELETE FROM fields WHERE id = ?", field_deletes)
        marks = ", ".join("?" * (1 + len(INDEXED_FIELDS)))
        conn.executemany(f"INSERT OR REPLACE INTO fields VALUES ({marks})", field_rows)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'update_seq'", (seq,))


def _encode_checked(doc: Incoming) -> tuple[str | None, dict[str, Any] | None]:
    """The body's JSON (None when it has attachments still to resolve), or the refusal.

    CouchDB refuses an oversized document in ``_bulk_docs`` alone, as a per-doc
    error. The size is that of the JSON body without attachment data (CouchDB
    limits attachments separately), checked before any attachment is stored."""
    body = doc.body
    has_atts = "_attachments" in body
    if has_atts:
        body = {k: v for k, v in body.items() if k != "_attachments"}
    body_json = dumps(body)
    try:
        check_size(doc.id, body_json)
    except DocumentTooLargeError as exc:
        return None, {"id": doc.id, "error": exc.error, "reason": exc.reason}
    return (None if has_atts else body_json), None


def _write_local(conn: sqlite3.Connection, doc: Incoming, new_edits: bool) -> dict[str, Any]:
    """``_local/`` docs: rev ``0-N``, checked like CouchDB's ``update_local_docs``."""
    row = conn.execute("SELECT rev FROM local_docs WHERE id = ?", (doc.id,)).fetchone()
    current = row[0] if row else 0
    given = 0
    if doc.rev is not None:
        prefix, _, n = doc.rev.partition("-")
        if prefix != "0" or not n.isdigit():
            raise BadRequestError("Invalid rev format", docid=doc.id, rev=doc.rev)
        given = int(n)
    if new_edits and given != current:
        return {"id": doc.id, "error": "conflict", "reason": _CONFLICT}
    if doc.deleted:
        conn.execute("DELETE FROM local_docs WHERE id = ?", (doc.id,))
        return {"ok": True, "id": doc.id, "rev": "0-0"}
    body = {k: v for k, v in doc.body.items() if k != "_attachments"}
    body_json = dumps(body)
    check_size(doc.id, body_json)
    conn.execute(
        "INSERT OR REPLACE INTO local_docs VALUES (?, ?, ?)", (doc.id, current + 1, body_json)
    )
    return {"ok": True, "id": doc.id, "rev": f"0-{current + 1}"}
