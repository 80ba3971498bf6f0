"""The changes feed: each document once, at its latest sequence.

``docs.seq`` carries a unique index, so reading changes since N is an index
range scan joined to the winning body when documents or a selector are asked
for. Sequences are plain increasing integers (callers must treat them as
opaque, since CouchDB's are strings).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sync import mango
from sync.embedded._docs import loads
from sync.embedded._reader import Options, render
from sync.embedded._writer import meta
from sync.errors import BadRequestError
from sync.revtree import RevTree, rev_of

_PAGE = 500


def parse_since(since: Any, conn: sqlite3.Connection) -> int:
    if since == "now":
        return int(meta(conn, "update_seq"))
    if isinstance(since, bool):
        raise BadRequestError(f"bad since value {since!r}")
    if isinstance(since, int):
        return since
    if isinstance(since, str) and since.isdigit():
        return int(since)
    raise BadRequestError(f"bad since value {since!r}")


def changes(
    conn: sqlite3.Connection,
    *,
    since: Any,
    limit: int | None,
    style: str,
    include_docs: bool,
    conflicts: bool,
    doc_ids: Sequence[str] | None,
    selector: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if style not in ("main_only", "all_docs"):
        raise BadRequestError(f"bad changes style {style!r}")
    if limit is not None and limit < 0:
        raise BadRequestError("limit must not be negative")
    start = parse_since(since, conn)
    need_body = include_docs or selector is not None
    need_tree = style == "all_docs" or (include_docs and conflicts)
    cols = "d.seq, d.id, d.winner, d.deleted"
    cols += ", d.tree" if need_tree else ", NULL"
    cols += ", b.body" if need_body else ", NULL"
    join = "LEFT JOIN bodies b ON b.id = d.body_id" if need_body else ""
    where = "d.seq > ?"
    extra: list[Any] = []
    if doc_ids is not None:
        ids = list(dict.fromkeys(doc_ids))
        where += f" AND d.id IN ({','.join('?' * len(ids))})"
        extra = ids
    sql = f"SELECT {cols} FROM docs d {join} WHERE {where} ORDER BY d.seq LIMIT ?"
    opts = Options(conflicts=conflicts)
    results: list[dict[str, Any]] = []
    cursor = start
    full = limit is not None and limit == 0
    while not full:
        page = conn.execute(sql, [cursor, *extra, _PAGE]).fetchall()
        for seq, docid, winner, deleted, tree_json, body_json in page:
            cursor = seq
            tree = RevTree.from_json(loads(tree_json)) if tree_json else None
            doc = None
            if need_body:
                body = loads(body_json) if body_json else {}
                doc = render(conn, docid, winner, body, bool(deleted), tree, opts)
                if selector is not None and not mango.matches(selector, doc):
                    continue
            revs = (
                [rev_of(k) for k in tree.leaves()]
                if style == "all_docs" and tree is not None
                else [winner]
            )
            entry: dict[str, Any] = {"seq": seq, "id": docid, "changes": [{"rev": r} for r in revs]}
            if deleted:
                entry["deleted"] = True
            if include_docs:
                entry["doc"] = doc
            results.append(entry)
            if limit is not None and len(results) >= limit:
                full = True
                break
        if len(page) < _PAGE:
            break
    if full:
        last_seq: int = results[-1]["seq"] if results else start
    else:
        last_seq = max(int(meta(conn, "update_seq")), start)
    return {"results": results, "last_seq": last_seq}
