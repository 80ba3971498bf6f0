"""Mango selectors, matched in pure Python (no I/O): ``matches(selector, doc) -> bool``.

Used by the embedded store's ``find()`` and ``changes(selector=...)``, and by
the replicator to filter on the client side when a peer cannot. Semantics
follow CouchDB's ``mango_selector.erl``:

* ``{"field": value}`` means ``$eq``; ``{"a": {"b": 1}}`` means ``"a.b": 1``;
  several keys in one object are an implicit ``$and``.
* Fields are dotted paths (``"a.b.0"`` indexes arrays; ``\\.`` escapes a dot).
  A missing field matches nothing but ``{"$exists": false}`` — so ``$ne`` and
  ``$nin`` do not match documents lacking the field, as in CouchDB.
* Comparisons use CouchDB's collation across types: null < false < true <
  numbers < strings < arrays < objects; arrays compare element by element,
  objects key/value pair by pair. Strings compare by code point (CouchDB uses
  ICU collation, PouchDB code points: they agree on the ASCII ids, codes and
  ISO timestamps the app compares; they differ for mixed-case text).
* ``$in`` on an array field matches when any element (or the array itself)
  equals any argument.

Operators: ``$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $nor $not``.
Anything else raises :class:`sync.errors.BadRequestError`, as does a
malformed selector, so a typo never silently matches everything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sync.errors import BadRequestError

_MISSING = object()
_SPLIT_RE = re.compile(r"(?<!\\)\.")


def _rank(value: Any) -> int:
    if value is None:
        return 0
    if value is False:
        return 1
    if value is True:
        return 2
    if isinstance(value, int | float):
        return 3
    if isinstance(value, str):
        return 4
    if isinstance(value, list | tuple):
        return 5
    return 6


def collate(a: Any, b: Any) -> int:
    """CouchDB view collation: -1, 0 or 1."""
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra in (0, 1, 2):
        return 0
    if ra in (3, 4):
        return int(a > b) - int(a < b)
    if ra == 5:
        for x, y in zip(a, b, strict=False):
            c = collate(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    items_a, items_b = list(a.items()), list(b.items())
    for (ka, va), (kb, vb) in zip(items_a, items_b, strict=False):
        c = collate(ka, kb) or collate(va, vb)
        if c:
            return c
    return (len(items_a) > len(items_b)) - (len(items_a) < len(items_b))


def split_field(field: str) -> list[str]:
    """``"a.b\\.c"`` -> ``["a", "b.c"]``."""
    return [part.replace("\\.", ".") for part in _SPLIT_RE.split(field)]


def get_field(doc: Any, field: str | Sequence[str]) -> Any:
    """The value at a dotted path, or :data:`_MISSING`."""
    parts = split_field(field) if isinstance(field, str) else field
    cur = doc
    for part in parts:
        if isinstance(cur, Mapping):
            if part not in cur:
                return _MISSING
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


def is_missing(value: Any) -> bool:
    return value is _MISSING


# -- matching ---------------------------------------------------------------
def _in(value: Any, args: Any) -> bool:
    if not isinstance(args, list):
        raise BadRequestError("$in and $nin need an array argument")
    candidates = [value, *value] if isinstance(value, list) else [value]
    return any(collate(v, a) == 0 for a in args for v in candidates)


_COMPARE: dict[str, Callable[[int], bool]] = {
    "$eq": lambda c: c == 0,
    "$ne": lambda c: c != 0,
    "$gt": lambda c: c > 0,
    "$gte": lambda c: c >= 0,
    "$lt": lambda c: c < 0,
    "$lte": lambda c: c <= 0,
}


def _match_condition(value: Any, cond: Any) -> bool:
    """Match one field's value (maybe missing) against its condition."""
    if not (isinstance(cond, Mapping) and cond and all(k.startswith("$") for k in cond)):
        if isinstance(cond, Mapping) and cond:
            # {"a": {"b": 1}} is "a.b": 1 (the keys are sub-fields)
            return all(
                _match_condition(get_field(value, [k]) if not is_missing(value) else value, v)
                for k, v in cond.items()
            )
        cond = {"$eq": cond}
    for op, arg in cond.items():
        if op == "$exists":
            if not isinstance(arg, bool):
                raise BadRequestError("$exists needs true or false")
            if is_missing(value) == arg:
                return False
            continue
        if op == "$not":
            if is_missing(value) or _match_condition(value, arg):
                return False
            continue
        if is_missing(value):
            return False
        if op in _COMPARE:
            if not _COMPARE[op](collate(value, arg)):
                return False
        elif op == "$in":
            if not _in(value, arg):
                return False
        elif op == "$nin":
            if _in(value, arg):
                return False
        elif op == "$regex":
            # CouchDB runs the pattern (PCRE, unanchored) on strings only; a simple pattern
            # reads the same in Python's re.
            if not isinstance(arg, str):
                raise BadRequestError("$regex needs a string")
            if not isinstance(value, str) or _regex(arg).search(value) is None:
                return False
        else:
            raise BadRequestError(f"unsupported Mango operator {op!r}")
    return True


@functools.lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadRequestError(f"invalid $regex {pattern!r}: {exc}") from None


def _combinator_args(op: str, arg: Any) -> list[Mapping[str, Any]]:
    if not isinstance(arg, list) or not all(isinstance(s, Mapping) for s in arg):
        raise BadRequestError(f"{op} needs an array of selectors")
    return arg


def matches(selector: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` satisfies the Mango ``selector`` (see the module docstring)."""
    if not isinstance(selector, Mapping):
        raise BadRequestError("a selector must be a JSON object")
    for key, cond in selector.items():
        if key == "$and":
            if not all(matches(s, doc) for s in _combinator_args(key, cond)):
                return False
        elif key == "$or":
            subs = _combinator_args(key, cond)
            if subs and not any(matches(s, doc) for s in subs):
                return False
        elif key == "$nor":
            if any(matches(s, doc) for s in _combinator_args(key, cond)):
                return False
        elif key == "$not":
            if not isinstance(cond, Mapping) or matches(cond, doc):
                return False
        elif key.startswith("$"):
            raise BadRequestError(f"unsupported Mango operator {key!r}")
        elif not _match_condition(get_field(doc, key), cond):
            return False
    return True


# -- sort and projection ------------------------------------------------------
def parse_sort(sort: Sequence[str | Mapping[str, str]] | None) -> list[tuple[str, bool]]:
    """``["a", {"b": "desc"}]`` -> ``[("a", False), ("b", True)]`` (field, descending)."""
    out: list[tuple[str, bool]] = []
    for item in sort or []:
        if isinstance(item, str):
            out.append((item, False))
        elif isinstance(item, Mapping) and len(item) == 1:
            ((field, direction),) = item.items()
            if direction not in ("asc", "desc"):
                raise BadRequestError(f"sort direction must be asc or desc, not {direction!r}")
            out.append((field, direction == "desc"))
        else:
            raise BadRequestError(f"bad sort item {item!r}")
    if len({d for _, d in out}) > 1:
        raise BadRequestError("all sort fields must use the same direction, as in CouchDB")
    return out


def sort_docs(
    docs: Sequence[Mapping[str, Any]], sort: Sequence[str | Mapping[str, str]] | None
) -> list[Mapping[str, Any]]:
    """Sort by Mango ``sort``. Documents lacking a sort field are left out: CouchDB sorts
    through an index on those fields, and such documents are not in that index."""
    spec = parse_sort(sort)
    if not spec:
        return list(docs)
    fields = [split_field(f) for f, _ in spec]
    kept = [d for d in docs if all(not is_missing(get_field(d, f)) for f in fields)]

    def cmp(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
        for f in fields:
            c = collate(get_field(a, f), get_field(b, f))
            if c:
                return c
        return 0

    return sorted(kept, key=functools.cmp_to_key(cmp), reverse=spec[0][1])


def project(doc: Mapping[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """Mango ``fields``: keep only these dotted paths (``_id``/``_rev`` only when listed)."""
    if not fields:
        return dict(doc)
    out: dict[str, Any] = {}
    for field in fields:
        parts = split_field(field)
        value = get_field(doc, parts)
        if is_missing(value):
            continue
        cur = out
        for part in parts[:-1]:
            cur = cur.setdefault(part, {})
        cur[parts[-1]] = value
    return out
