"""``find()``: an indexed SQL pre-filter, then exact matching with :mod:`sync.mango`.

The ``docs`` table holds, for each winning non-deleted document, the
values of the fields the app queries (``type village matter stage
created_at``), each with its own index. Conditions on those fields that
appear at the top of the selector (or inside a top-level ``$and``) become SQL
over that table; every candidate is then matched by :func:`sync.mango.matches`,
so the pre-filter only has to never *drop* a document that matches:

* strings and numbers are stored as themselves, arrays/objects as BLOBs
  (SQLite orders numbers < text < blobs, like CouchDB's numbers < strings <
  arrays < objects), null and booleans as -infinity (below every number, as
  CouchDB sorts them; JSON has no infinities, and the store writes a
  non-finite float as null), a missing field as NULL;
* ``$eq``/``$gt``/``$gte``/``$lt``/``$lte`` with a string or finite number
  argument map directly: NULL (missing: Mango matches nothing) never compares
  true, and -infinity (null, booleans) is below every argument, as CouchDB
  has them below every number and string;
* ``$in`` keeps BLOB rows too (an array field matches ``$in`` by element).

Each condition is written so that SQLite can answer it from the field's index,
which holds only non-NULL values (a partial index: see ``_schema.py``): every
condition here implies ``IS NOT NULL``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sync import mango
from sync.embedded._docs import loads
from sync.embedded._reader import render
from sync.embedded._schema import INDEXED_FIELDS
from sync.embedded._writer import field_value
from sync.errors import BadRequestError


def _scalar(arg: Any) -> bool:
    # Not a non-finite float: -inf stands for null/booleans in the columns.
    if isinstance(arg, float):
        return math.isfinite(arg)
    return isinstance(arg, str | int) and not isinstance(arg, bool)


def _sql_conditions(selector: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for key, cond in selector.items():
        if key == "$and" and isinstance(cond, list):
            for sub in cond:
                if isinstance(sub, Mapping):
                    c, p = _sql_conditions(sub)
                    clauses += c
                    params += p
            continue
        if key not in INDEXED_FIELDS:
            continue
        ops = cond if isinstance(cond, Mapping) and all(k.startswith("$") for k in cond) else None
        if ops is None:
            ops = {"$eq": cond} if not isinstance(cond, Mapping) else {}
        for op, arg in ops.items():
            col = f"d.{key}"
            if op in ("$eq", "$gt", "$gte") and _scalar(arg):
                sym = {"$eq": "=", "$gt": ">", "$gte": ">="}[op]
                clauses.append(f"{col} {sym} ?")
                params.append(field_value(arg))
            elif op in ("$lt", "$lte") and _scalar(arg):
                sym = "<" if op == "$lt" else "<="
                clauses.append(f"{col} {sym} ?")
                params.append(field_value(arg))
            elif op == "$in" and isinstance(arg, list) and arg and all(_scalar(a) for a in arg):
                marks = ",".join("?" * len(arg))
                # x'' is the least BLOB: ">= x''" is every array/object, and stays indexable
                clauses.append(f"({col} IN ({marks}) OR {col} >= x'')")
                params += [field_value(a) for a in arg]
    return clauses, params


def _sql(selector: Mapping[str, Any]) -> tuple[str, list[Any]]:
    clauses, params = _sql_conditions(selector)
    sql = (
        "SELECT d.id, d.winner, b.body FROM docs d JOIN bodies b ON b.id = d.body_id "
        f"WHERE {' AND '.join(['d.deleted = 0', *clauses])}"
    )
    # No ORDER BY: it would tempt the planner into walking the id index instead of a
    # field index; candidates are sorted by id in Python (Mango's default order).
    return sql, params


def explain(conn: sqlite3.Connection, selector: Mapping[str, Any]) -> list[str]:
    """SQLite's query plan for a selector's pre-filter (to check that an index is used)."""
    sql, params = _sql(selector)
    return [str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def find(
    conn: sqlite3.Connection,
    selector: Mapping[str, Any],
    *,
    sort: Sequence[str | Mapping[str, str]] | None,
    limit: int | None,
    skip: int,
    fields: Sequence[str] | None,
) -> dict[str, Any]:
    if not isinstance(selector, Mapping):
        raise BadRequestError("selector must be a JSON object")
    mango.parse_sort(sort)  # refuse a bad sort before doing any work
    sql, params = _sql(selector)
    docs = []
    for docid, winner, body in sorted(conn.execute(sql, params)):
        if docid.startswith("_design/"):
            continue  # Mango leaves design documents out
        doc = render(conn, docid, winner, loads(body), False, None)
        if mango.matches(selector, doc):
            docs.append(doc)
    ordered = mango.sort_docs(docs, sort)
    end = None if limit is None else skip + limit
    return {"docs": [mango.project(d, fields) for d in ordered[skip:end]]}
