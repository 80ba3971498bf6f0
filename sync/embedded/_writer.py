"""The write path: one ``BEGIN IMMEDIATE`` transaction per ``bulk_docs`` call.

Normal edits (``new_edits=true``) follow ``couch_db:prep_and_validate_updates``:
``_rev`` must name a leaf; no ``_rev`` is allowed for a new document or over
a deleted winner (the tombstone's branch is extended); anything else is a
per-document ``conflict`` result. Replicated edits (``new_edits=false``) merge
the given ``_revisions`` path into the tree and may create conflicts.

New revision ids are ``md5(doc id, parent rev, deleted flag, stored JSON
body)`` in hex: deterministic like CouchDB's (which hashes the same inputs
but the id, in Erlang's term format), so an identical edit of an identical
parent yields the identical revision. The id is hashed too so that equal
first revisions of different documents get different rev ids, which keeps
logs and tests that key on revs unambiguous.
"""

from __future__ import annotations

import hashlib
import math
import operator
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.database import MAX_DOCUMENT_SIZE
from sync.embedded import _attachments
from sync.embedded._docs import Incoming, check_size, dumps, encode, loads, utf8
from sync.embedded._schema import INDEXED_FIELDS, storage_error
from sync.errors import BadRequestError, DocumentTooLargeError
from sync.revtree import RevNode, RevTree, rev_generation, rev_of, revisions_to_path

_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_CONFLICT = "Document update conflict."
#: The body handle of a replicated revision while its tree merge decides whether to keep it.
_PENDING = -1


@dataclass(slots=True)
class _DocState:
    tree: RevTree
    old_winner: str | None


def chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_trees(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[RevTree, str]]:
    """Revision trees and winners of the given ids (absent ids are left out)."""
    out: dict[str, tuple[RevTree, str]] = {}
    for part in chunks(ids):
        marks = ",".join("?" * len(part))
        for docid, tree, winner in conn.execute(
            f"SELECT id, tree, winner FROM docs WHERE id IN ({marks})", part
        ):
            out[docid] = (RevTree.from_json(loads(tree)), winner)
    return out


def load_body(conn: sqlite3.Connection, body_id: int) -> dict[str, Any] | None:
    if not body_id:
        return None
    row = conn.execute("SELECT body FROM bodies WHERE id = ?", (body_id,)).fetchone()
    return loads(row[0]) if row else None


def meta(conn: sqlite3.Connection, key: str) -> Any:
    return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]


#: The column value of a field that is null or a boolean (see ``_find.py``).
BELOW_NUMBERS = float("-inf")


def field_value(value: Any) -> Any:
    """How a field's value is stored in its ``docs`` column (see ``_find.py`` for why)."""
    if value is None or isinstance(value, bool):
        return BELOW_NUMBERS
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value)
    if isinstance(value, float):
        # NaN and infinities are stored in the body as null (see _docs.encode)
        return value if math.isfinite(value) else BELOW_NUMBERS
    if isinstance(value, str):
        return value
    return dumps(value).encode()  # a BLOB sorts above all text, as arrays/objects do


def write(conn: sqlite3.Connection, docs: Sequence[Incoming], *, new_edits: bool) -> list[Any]:
    """Apply a validated batch atomically; returns CouchDB's ``_bulk_docs`` results."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            results = _Batch(conn, new_edits).apply(docs)
            conn.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk among them): a
            # second ROLLBACK would fail and hide the cause behind "no transaction is active".
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        raise storage_error(exc) from exc
    return results


class _Batch:
    def __init__(self, conn: sqlite3.Connection, new_edits: bool) -> None:
        self.conn = conn
        self.new_edits = new_edits
        self.states: dict[str, _DocState] = {}
        # body id -> (body, its JSON), for the bodies this batch writes
        self.pending: dict[int, tuple[dict[str, Any], str | bytes]] = {}
        self.cut: list[int] = []  # body ids of stemmed revisions
        self.touched: dict[str, None] = {}
        # Body ids are handed out here, under the write lock: new rows append.
        self.next_body = conn.execute("SELECT coalesce(max(id), 0) FROM bodies").fetchone()[0]
        #: new_edits=false with CouchDB's validation step (see _validated_replicas): the
        #: trees as they were before the batch, and each id's paths in the batch.
        self.before: dict[str, RevTree] | None = None
        self.batch_paths: dict[str, list[list[str]]] = {}

    def apply(self, docs: Sequence[Incoming]) -> list[Any]:
        conn = self.conn
        limit = int(meta(conn, "revs_limit"))
        ids = list(dict.fromkeys(d.id for d in docs if not d.is_local))
        for docid, (tree, winner) in load_trees(conn, ids).items():
            self.states[docid] = _DocState(tree, winner)
        if not self.new_edits and _validates(conn, docs):
            self.before = {docid: state.tree.copy() for docid, state in self.states.items()}
            for doc in docs:
                if not doc.is_local and doc.rev is not None:
                    path = revisions_to_path(doc.rev, doc.revisions)
                    self.batch_paths.setdefault(doc.id, []).append(path)
        results: list[Any] = []
        states = self.states
        for doc in docs:
            if (
                self.new_edits
                and doc.rev is None
                and doc.id not in states
                and not doc.is_local
                and "_attachments" not in doc.body
            ):
                results.append(self._create(doc))  # the bulk of any import: a new document
                continue
            res: dict[str, Any] | None
            if doc.is_local:
                res = _write_local(conn, doc, self.new_edits)
            elif self.new_edits:
                res = self._edit(doc)
            else:
                res = self._replicate(doc)
            if res is not None and (self.new_edits or "error" in res):
                results.append(res)
            if doc.id in self.touched and (
                len(tree := self.states[doc.id].tree) > limit or tree.has_duplicates
            ):
                # has_duplicates: couch_key_tree:stem repairs such a tree on every update
                self.cut.extend(n.body for n in tree.stem(limit).values() if n.body > 0)
        self._flush()
        return results

    def _new_body(self, body: dict[str, Any], body_json: str | bytes) -> int:
        self.next_body += 1
        self.pending[self.next_body] = (body, body_json)
        return int(self.next_body)

    # -- one document -------------------------------------------------------
    def _create(self, doc: Incoming) -> dict[str, Any]:
        """:meth:`_edit` for a new document without attachments, minus the general steps."""
        body_json = encode(doc.body)
        if len(body_json) * 4 > MAX_DOCUMENT_SIZE:
            _, refused = _encode_checked(doc)
            if refused is not None:
                return refused
        rev = "1-" + _rev_hash(f"{doc.id}\0\0{int(doc.deleted)}\0", body_json)
        body_id = self._new_body(doc.body, body_json)
        self.states[doc.id] = _DocState(RevTree({rev: RevNode(None, doc.deleted, body_id)}), None)
        self.touched[doc.id] = None
        return {"ok": True, "id": doc.id, "rev": rev}

    def _edit(self, doc: Incoming) -> dict[str, Any]:
        state = self.states.get(doc.id)
        tree = state.tree if state else None
        parent: str | None  # the node the new revision goes under
        if doc.rev is not None:
            parent = tree.leaf_key(doc.rev) if tree is not None else None
            if parent is None:
                return {"id": doc.id, "error": "conflict", "reason": _CONFLICT}
        elif tree is None:
            parent = None
        else:
            winner = tree.winner()
            if not tree.nodes[winner].deleted:
                return {"id": doc.id, "error": "conflict", "reason": _CONFLICT}
            # couch_db_updater:merge_rev_tree recreates on the winner's revision, merged
            # at the node get/2 finds for it (the plain key).
            parent = rev_of(winner)
        parent_rev = rev_of(parent) if parent else None
        gen = rev_generation(parent_rev) + 1 if parent_rev else 1
        body = doc.body
        body_json, refused = _encode_checked(doc)
        if refused is not None:
            return refused
        if "_attachments" in body:
            prior = self._attachments_of(tree, parent) if tree and parent else {}
            body["_attachments"] = _attachments.resolve(
                self.conn, doc.id, body["_attachments"], prior, gen, new_edits=True
            )
        if body_json is None:
            body_json = encode(body)
        prefix = f"{doc.id}\0{parent_rev or ''}\0{int(doc.deleted)}\0"
        rev = f"{gen}-{_rev_hash(prefix, body_json)}"
        if state is None:
            state = self.states[doc.id] = _DocState(RevTree(), None)
        state.tree.add_child(parent, rev, deleted=doc.deleted, body=self._new_body(body, body_json))
        self.touched[doc.id] = None
        return {"ok": True, "id": doc.id, "rev": rev}

    def _replicate(self, doc: Incoming) -> dict[str, Any] | None:
        """Merge a ``new_edits=false`` revision as couch_db_updater:merge_rev_tree does
        (couch_key_tree:merge, ported in RevTree.merge_path). A revision already known is
        merged too: the tree may still change (its body filled in where only its id was
        known, or a second node where the path names other ancestors); the document gets
        a new update sequence only when it did."""
        assert doc.rev is not None
        path = revisions_to_path(doc.rev, doc.revisions)
        body = doc.body
        body_json, refused = _encode_checked(doc)
        if refused is not None:
            return refused
        if self.before is not None and not self._validated_replica(doc.id, path[0]):
            return None
        state = self.states.get(doc.id)
        prior: dict[str, Any] = {}
        if state is not None and "_attachments" in body:
            nodes = state.tree.nodes
            holder = next((r for r in path[1:] if r in nodes and nodes[r].has_body), None)
            prior = self._attachments_of(state.tree, holder) if holder else {}
        tree = state.tree if state is not None else RevTree()
        if not tree.merge_path(path, deleted=doc.deleted, body=_PENDING):
            return None  # nothing new: CouchDB leaves the document alone
        if state is None:
            self.states[doc.id] = _DocState(tree, None)
        self.touched[doc.id] = None
        taker = next((n for n in tree.nodes.values() if n.body == _PENDING), None)
        if taker is None:
            return None  # only the history changed: the body sent is not kept
        if "_attachments" in body:
            body["_attachments"] = _attachments.resolve(
                self.conn,
                doc.id,
                body["_attachments"],
                prior,
                rev_generation(path[0]),
                new_edits=False,
            )
        if body_json is None:
            body_json = encode(body)
        taker.body = self._new_body(body, body_json)
        return None

    def _validated_replica(self, docid: str, rev: str) -> bool:
        """couch_db:prep_and_validate_replicated_updates, which CouchDB runs before the
        merge when the database has a validate_doc_update function or the request holds
        a design document or a document with attachments (couch_db:before_docs_update):
        of an existing document it keeps a revision only if it is a leaf once the
        request's paths for that id are merged into the tree (couch_key_tree:multi_merge)
        and was not a leaf before; the others are dropped, as successes."""
        before = self.before.get(docid) if self.before is not None else None
        if before is None:
            return True  # not_found: every revision is validated and kept
        if rev in {rev_of(k) for k in before.leaves()}:
            return False
        merged = before.copy()
        for path in sorted(self.batch_paths.get(docid, []), key=_path_order):
            merged.merge_path(path, deleted=False)
        return rev in {rev_of(k) for k in merged.leaves()}

    def _attachments_of(self, tree: RevTree, rev: str) -> dict[str, Any]:
        body = self._body(tree.nodes[rev].body)
        atts = body.get("_attachments") if body else None
        return atts if isinstance(atts, dict) else {}

    def _body(self, body_id: int) -> dict[str, Any] | None:
        hit = self.pending.get(body_id)
        return hit[0] if hit is not None else load_body(self.conn, body_id)

    # -- the end of the batch -------------------------------------------------
    def _flush(self) -> None:
        conn = self.conn
        seq = int(meta(conn, "update_seq"))
        full_rows: list[tuple[Any, ...]] = []  # the winner changed: refresh the field columns
        tree_rows: list[tuple[Any, ...]] = []  # same winner: only seq and tree move
        live: list[tuple[int, str | bytes]] = []
        for docid in self.touched:
            state = self.states[docid]
            tree = state.tree
            seq += 1
            if len(tree.nodes) == 1:  # a new document (most of an import): no tree to walk
                ((winner, node),) = tree.nodes.items()
                if node.body in self.pending:
                    live.append((node.body, self.pending[node.body][1]))
            else:
                winner = tree.winner()
                node = tree.nodes[winner]
                live.extend(
                    (n.body, self.pending[n.body][1])
                    for n in tree.nodes.values()
                    if n.body in self.pending
                )
            tree_json = _tree_json(tree)
            winner_rev = rev_of(winner)
            # A revision held twice (sync.revtree): its winning node may have changed.
            if winner_rev == state.old_winner and not tree.has_duplicates:
                tree_rows.append((seq, tree_json, docid))
                continue
            body = None if node.deleted else self._body(node.body)
            values = _NO_FIELDS if body is None else _field_values(body)
            full_rows.append(
                (docid, seq, winner_rev, int(node.deleted), node.body, tree_json, *values)
            )
        marks = ", ".join("?" * (6 + len(INDEXED_FIELDS)))
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in ("seq", "winner", "deleted", "body_id", "tree", *INDEXED_FIELDS)
        )
        conn.executemany(
            f"INSERT INTO docs VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}",
            full_rows,
        )
        if tree_rows:
            conn.executemany("UPDATE docs SET seq = ?, tree = ? WHERE id = ?", tree_rows)
        conn.executemany("INSERT INTO bodies VALUES (?, ?)", live)
        if self.cut:
            conn.executemany("DELETE FROM bodies WHERE id = ?", [(b,) for b in self.cut])
        conn.execute("UPDATE meta SET value = ? WHERE key = 'update_seq'", (seq,))


def _path_order(path: list[str]) -> tuple[int, list[str]]:
    """multi_merge's ``lists:sort`` of paths as ``{StartPos, Node}`` terms: the start
    generation, then the rev ids from the root down."""
    return rev_generation(path[-1]), [rev.partition("-")[2] for rev in reversed(path)]


def _validates(conn: sqlite3.Connection, docs: Sequence[Incoming]) -> bool:
    """Whether CouchDB would validate this new_edits=false request before merging it
    (couch_db:before_docs_update): the database has a validate_doc_update function, or
    the request holds a design document or a document with attachments."""
    if any(d.id.startswith("_design/") or "_attachments" in d.body for d in docs if not d.is_local):
        return True
    rows = conn.execute(
        "SELECT b.body FROM docs d JOIN bodies b ON b.id = d.body_id "
        "WHERE d.id >= '_design/' AND d.id < '_design0' AND d.deleted = 0"
    )
    return any("validate_doc_update" in loads(body) for (body,) in rows)


_NO_FIELDS = [None] * len(INDEXED_FIELDS)
_ALL_FIELDS = operator.itemgetter(*INDEXED_FIELDS)


def _field_values(body: dict[str, Any]) -> list[Any]:
    """The field columns of a winning body (NULL where it lacks the field)."""
    try:
        # The common case, all at C speed: the document has every field, as strings.
        return [v if type(v) is str else field_value(v) for v in _ALL_FIELDS(body)]
    except KeyError:
        return [field_value(body[f]) if f in body else None for f in INDEXED_FIELDS]


def _tree_json(tree: RevTree) -> str:
    if len(tree.nodes) == 1:
        # A new document: skip the encoder (the rev is quoted by dumps, so any id is safe).
        ((rev, node),) = tree.nodes.items()
        if node.parent is None:
            return f"{{{dumps(rev)}:[null,{int(node.deleted)},{node.body}]}}"
    return dumps(tree.to_json())


def _rev_hash(prefix: str, body_json: str | bytes) -> str:
    """md5 of the id, parent rev, deleted flag and stored JSON body, in hex (see the top)."""
    digest = hashlib.md5(prefix.encode())
    digest.update(utf8(body_json))
    return digest.hexdigest()


def _encode_checked(doc: Incoming) -> tuple[str | bytes | None, dict[str, Any] | None]:
    """The body's JSON (None when it has attachments still to resolve), or the refusal.

    CouchDB refuses an oversized document in ``_bulk_docs`` alone, as a per-doc
    error. The size is that of the JSON body without attachment data (CouchDB
    limits attachments separately), checked before any attachment is stored."""
    body = doc.body
    has_atts = "_attachments" in body
    if has_atts:
        body = {k: v for k, v in body.items() if k != "_attachments"}
    body_json = encode(body)
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
