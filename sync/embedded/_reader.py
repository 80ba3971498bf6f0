"""The read path: documents, open_revs, revs_diff, bulk_get, all_docs.

Every function runs inside one read transaction (the facade opens it), so it
sees one snapshot even while another connection or process writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sync.embedded import _attachments
from sync.embedded._docs import LOCAL_PREFIX, loads
from sync.embedded._writer import chunks, load_body, load_trees
from sync.errors import BadRequestError, NotFoundError
from sync.revtree import DUP, RevTree, rev_of


@dataclass(frozen=True, slots=True)
class Options:
    """What to add to a rendered document (CouchDB's GET query options)."""

    revs: bool = False
    revs_info: bool = False
    conflicts: bool = False
    deleted_conflicts: bool = False
    attachments: bool = False
    #: With ``attachments``, only those added after the newest of these revisions on the
    #: document's path come with their data; the others are stubs (``_bulk_get``'s
    #: per-document ``atts_since``).
    atts_since: tuple[str, ...] = ()


PLAIN = Options()


def load_tree(conn: sqlite3.Connection, docid: str) -> RevTree | None:
    row = conn.execute("SELECT tree FROM docs WHERE id = ?", (docid,)).fetchone()
    return RevTree.from_json(loads(row[0])) if row else None


def render(
    conn: sqlite3.Connection,
    docid: str,
    rev: str,
    body: Mapping[str, Any],
    deleted: bool,
    tree: RevTree | None,
    opts: Options = PLAIN,
    key: str | None = None,
) -> dict[str, Any]:
    """A revision as CouchDB returns it. ``key`` is the tree node whose history to show
    (a revision held twice, see sync.revtree); by default the node ``rev`` names."""
    atts = body.get("_attachments")
    if atts is None:
        doc: dict[str, Any] = {"_id": docid, "_rev": rev, **body}
    else:
        doc = {"_id": docid, "_rev": rev}
        doc.update((k, v) for k, v in body.items() if k != "_attachments")
    if deleted:
        doc["_deleted"] = True
    if atts:
        since = tree.known_generation(key or rev, opts.atts_since) if tree is not None else 0
        doc["_attachments"] = _attachments.render(conn, atts, inline=opts.attachments, since=since)
    if tree is not None:
        if opts.revs:
            doc["_revisions"] = tree.revisions(key or rev)
        if opts.revs_info:
            doc["_revs_info"] = tree.revs_info(rev)
        if opts.conflicts and (conflicts := tree.conflicts()):
            doc["_conflicts"] = conflicts
        if opts.deleted_conflicts and (deleted_conflicts := tree.deleted_conflicts()):
            doc["_deleted_conflicts"] = deleted_conflicts
    return doc


def get_local(conn: sqlite3.Connection, docid: str) -> dict[str, Any]:
    if not docid.startswith(LOCAL_PREFIX):
        docid = LOCAL_PREFIX + docid
    row = conn.execute("SELECT rev, body FROM local_docs WHERE id = ?", (docid,)).fetchone()
    if row is None:
        raise NotFoundError("missing", docid=docid)
    return {"_id": docid, "_rev": f"0-{row[0]}", **loads(row[1])}


def get(conn: sqlite3.Connection, docid: str, rev: str | None, opts: Options) -> dict[str, Any]:
    if docid.startswith(LOCAL_PREFIX):
        return get_local(conn, docid)
    tree = load_tree(conn, docid)
    if tree is None:
        raise NotFoundError("missing", docid=docid, rev=rev)
    if rev is None:
        # couch_db:open_doc_int: the winning leaf's body, with the history get/2 finds for
        # its revision (the same node, unless the revision is held twice).
        key = tree.winner()
        rev = rev_of(key)
        if tree.nodes[key].deleted:
            raise NotFoundError("deleted", docid=docid, rev=rev)
    else:
        key = rev if DUP not in rev else ""  # a node key is no revision
    node = tree.nodes.get(key)
    body = load_body(conn, node.body) if node is not None else None
    if node is None or body is None:
        raise NotFoundError("missing", docid=docid, rev=rev)
    return render(conn, docid, rev, body, node.deleted, tree, opts)


def open_revs(
    conn: sqlite3.Connection,
    docid: str,
    revs: Sequence[str] | str,
    latest: bool,
    opts: Options,
) -> list[dict[str, Any]]:
    """``open_revs``: ``[{"ok": doc} | {"missing": rev}]``."""
    tree = load_tree(conn, docid)
    if revs == "all":
        if tree is None:
            raise NotFoundError("missing", docid=docid)
        wanted = tree.leaves_in_couch_order()
    elif isinstance(revs, str) or not isinstance(revs, Sequence):
        raise BadRequestError("open_revs must be a list of revisions or 'all'", docid=docid)
    else:
        wanted = []
        for rev in revs:
            if isinstance(rev, str) and DUP in rev:
                raise BadRequestError("Invalid rev format", docid=docid, rev=rev)
            if latest and tree is not None and rev in tree:
                wanted.extend(r for r in tree.leaves_under(rev) if r not in wanted)
            elif rev not in wanted:
                wanted.append(rev)
    out: list[dict[str, Any]] = []
    for key in wanted:  # node keys (leaves) or asked revisions
        node = tree.nodes.get(key) if tree is not None else None
        body = load_body(conn, node.body) if node is not None else None
        if node is None or body is None:
            out.append({"missing": rev_of(key)})
        else:
            out.append(
                {"ok": render(conn, docid, rev_of(key), body, node.deleted, tree, opts, key)}
            )
    return out


def revs_diff(conn: sqlite3.Connection, mapping: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    trees = load_trees(conn, list(mapping))
    out: dict[str, Any] = {}
    for docid, revs in mapping.items():
        hit = trees.get(docid)
        missing = list(dict.fromkeys(revs)) if hit is None else hit[0].missing(dict.fromkeys(revs))
        if missing:
            entry: dict[str, Any] = {"missing": missing}
            if hit is not None and (ancestors := hit[0].possible_ancestors(missing)):
                entry["possible_ancestors"] = ancestors
            out[docid] = entry
    return out


def bulk_get(
    conn: sqlite3.Connection, requests: Sequence[Mapping[str, Any]], opts: Options
) -> dict[str, Any]:
    results = []
    for req in requests:
        docid = req.get("id")
        rev = req.get("rev")
        if not isinstance(docid, str):
            err = {"id": docid, "rev": rev, "error": "bad_request", "reason": "missing id"}
            results.append({"id": docid, "docs": [{"error": err}]})
            continue
        docs: list[dict[str, Any]] = []
        # CouchDB's chttpd_db:bulk_get_open_doc_revs1 turns a request without a rev into
        # open_revs=all: every leaf, deleted ones too, in fabric's order (generation, rev id).
        since = req.get("atts_since")
        wanted = opts
        if isinstance(since, list) and all(isinstance(r, str) for r in since):
            wanted = replace(opts, atts_since=tuple(since))
        try:
            items = open_revs(conn, docid, "all" if rev is None else [rev], False, wanted)
        except NotFoundError:
            items = [{"missing": "undefined"}]
        for item in items:
            if "ok" in item:
                docs.append(item)
            else:
                err = {
                    "id": docid,
                    "rev": item["missing"],
                    "error": "not_found",
                    "reason": "missing",
                }
                docs.append({"error": err})
        results.append({"id": docid, "docs": docs})
    return {"results": results}


def all_docs(
    conn: sqlite3.Connection,
    *,
    keys: Sequence[str] | None,
    include_docs: bool,
    startkey: str | None,
    endkey: str | None,
    limit: int | None,
    skip: int,
    descending: bool,
) -> dict[str, Any]:
    total = conn.execute("SELECT count(*) FROM docs WHERE deleted = 0").fetchone()[0]
    rows: list[dict[str, Any]] = []
    if keys is not None:
        found: dict[str, tuple[str, int, str | None]] = {}
        for part in chunks(list(dict.fromkeys(keys))):
            marks = ",".join("?" * len(part))
            for docid, winner, deleted, body in conn.execute(
                "SELECT d.id, d.winner, d.deleted, b.body FROM docs d LEFT JOIN bodies b "
                f"ON b.id = d.body_id WHERE d.id IN ({marks})",
                part,
            ):
                found[docid] = (winner, deleted, body)
        for key in keys[skip:]:
            if limit is not None and len(rows) >= limit:
                break
            hit = found.get(key)
            if hit is None:
                rows.append({"key": key, "error": "not_found"})
                continue
            winner, deleted, body = hit
            row: dict[str, Any] = {"id": key, "key": key, "value": {"rev": winner}}
            if deleted:
                row["value"]["deleted"] = True
            if include_docs:
                row["doc"] = (
                    None
                    if deleted or body is None
                    else render(conn, key, winner, loads(body), False, None)
                )
            rows.append(row)
        return {"total_rows": total, "offset": skip, "rows": rows}
    lo, hi = (endkey, startkey) if descending else (startkey, endkey)
    where, params = ["d.deleted = 0"], []
    if lo is not None:
        where.append("d.id >= ?")
        params.append(lo)
    if hi is not None:
        where.append("d.id <= ?")
        params.append(hi)
    order = "DESC" if descending else "ASC"
    body_col = ", b.body" if include_docs else ", NULL"
    join = "LEFT JOIN bodies b ON b.id = d.body_id" if include_docs else ""
    sql = (
        f"SELECT d.id, d.winner{body_col} FROM docs d {join} WHERE {' AND '.join(where)} "
        f"ORDER BY d.id {order} LIMIT ? OFFSET ?"
    )
    for docid, winner, body in conn.execute(sql, [*params, -1 if limit is None else limit, skip]):
        row = {"id": docid, "key": docid, "value": {"rev": winner}}
        if include_docs:
            row["doc"] = render(conn, docid, winner, loads(body), False, None)
        rows.append(row)
    before = 0
    if startkey is not None:
        op = ">" if descending else "<"
        before = conn.execute(
            f"SELECT count(*) FROM docs WHERE deleted = 0 AND id {op} ?", (startkey,)
        ).fetchone()[0]
    return {"total_rows": total, "offset": before + skip, "rows": rows}
