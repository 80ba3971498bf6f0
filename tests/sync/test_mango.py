"""Mango selector matching, sorting and projection (sync.mango), pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from sync.errors import BadRequestError
from sync.mango import collate, matches, project, sort_docs

DOC: dict[str, Any] = {
    "_id": "matter:V001:1",
    "type": "matter",
    "village": "V001",
    "stage": "审议",
    "n": 5,
    "flag": True,
    "nothing": None,
    "tags": ["道路", "照明"],
    "meta": {"author": {"name": "李"}, "a.b": 1},
    "created_at": "2026-03-01T08:00:00Z",
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"type": "matter"}, True),
        ({"type": "vote"}, False),
        ({"type": {"$eq": "matter"}, "village": "V001"}, True),
        ({"type": "matter", "village": "V002"}, False),
        ({"n": {"$gt": 4}}, True),
        ({"n": {"$gt": 5}}, False),
        ({"n": {"$gte": 5, "$lte": 5}}, True),
        ({"n": {"$lt": 5}}, False),
        ({"n": 5.0}, True),
        ({"n": {"$ne": 6}}, True),
        ({"missing": {"$ne": 6}}, False),  # $ne never matches an absent field (CouchDB)
        ({"stage": {"$in": ["商议", "审议"]}}, True),
        ({"stage": {"$in": ["公开"]}}, False),
        ({"stage": {"$nin": ["公开"]}}, True),
        ({"tags": {"$in": ["照明"]}}, True),  # an array field matches $in by element
        ({"tags": ["道路", "照明"]}, True),
        ({"tags": "道路"}, False),  # $eq does not look inside arrays
        ({"missing": {"$exists": False}}, True),
        ({"nothing": {"$exists": True}}, True),
        ({"type": {"$exists": False}}, False),
        ({"meta.author.name": "李"}, True),
        ({"meta": {"author": {"name": "李"}}}, True),  # nested object means dotted path
        ({"meta.a\\.b": 1}, True),  # escaped dot
        ({"tags.0": "道路"}, True),
        ({"$or": [{"type": "vote"}, {"village": "V001"}]}, True),
        ({"$or": [{"type": "vote"}, {"village": "V002"}]}, False),
        ({"$and": [{"type": "matter"}, {"n": {"$gt": 1}}]}, True),
        ({"$nor": [{"type": "vote"}]}, True),
        ({"n": {"$not": {"$gt": 10}}}, True),
        ({"created_at": {"$gte": "2026-01-01", "$lt": "2026-04-01"}}, True),
        ({"created_at": {"$gt": "2026-03-01T08:00:00Z"}}, False),
        # CouchDB collation across types: null < false < true < numbers < strings < arrays < objects
        ({"n": {"$lt": "a"}}, True),
        ({"stage": {"$gt": 1000}}, True),
        ({"flag": {"$lt": 0}}, True),
        ({"nothing": {"$lt": False}}, True),
        ({"tags": {"$gt": "zzz"}}, True),
        ({"meta": {"$gt": ["x"]}}, True),
    ],
)
def test_matches(selector: dict[str, Any], expected: bool) -> None:
    assert matches(selector, DOC) is expected


@pytest.mark.parametrize(
    "selector",
    [
        {"n": {"$regexish": 1}},
        {"$where": "x"},
        {"$or": {"a": 1}},
        {"stage": {"$in": "审议"}},
        {"n": {"$exists": "yes"}},
    ],
)
def test_bad_selectors_are_refused(selector: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError):
        matches(selector, DOC)


def test_collate_orders_like_couchdb() -> None:
    ordered = [None, False, True, -1, 0, 2.5, 10, "", "A", "a", "b", [], [1], [1, 2], {}, {"a": 1}]
    for i, a in enumerate(ordered):
        for j, b in enumerate(ordered):
            assert collate(a, b) == (i > j) - (i < j), (a, b)
    assert collate(1, 1.0) == 0


def test_sort_ascending_descending_and_missing_fields_left_out() -> None:
    docs: list[dict[str, Any]] = [
        {"_id": "a", "k": 2},
        {"_id": "b", "k": 1},
        {"_id": "c"},
        {"_id": "d", "k": "x"},
    ]
    assert [d["_id"] for d in sort_docs(docs, ["k"])] == ["b", "a", "d"]
    assert [d["_id"] for d in sort_docs(docs, [{"k": "desc"}])] == ["d", "a", "b"]
    assert [d["_id"] for d in sort_docs(docs, None)] == ["a", "b", "c", "d"]
    multi = [
        {"_id": "x", "a": 1, "b": 2},
        {"_id": "y", "a": 1, "b": 1},
        {"_id": "z", "a": 0, "b": 9},
    ]
    assert [d["_id"] for d in sort_docs(multi, ["a", "b"])] == ["z", "y", "x"]
    with pytest.raises(BadRequestError):
        sort_docs(multi, [{"a": "asc"}, {"b": "desc"}])
    with pytest.raises(BadRequestError):
        sort_docs(multi, [{"a": "up"}])


def test_project_keeps_listed_dotted_fields() -> None:
    assert project(DOC, ["_id", "stage", "meta.author.name", "absent"]) == {
        "_id": "matter:V001:1",
        "stage": "审议",
        "meta": {"author": {"name": "李"}},
    }
    assert project(DOC, None) == DOC


def test_regex_matches_strings_only_and_refuses_a_bad_pattern() -> None:
    assert matches({"_id": {"$regex": "^[a-z]"}}, {"_id": "matter:1:x"})
    assert not matches({"_id": {"$regex": "^[a-z]"}}, {"_id": "_design/x"})
    assert not matches({"n": {"$regex": "1"}}, {"n": 1})
    assert not matches({"n": {"$regex": "1"}}, {})
    with pytest.raises(BadRequestError):
        matches({"n": {"$regex": "("}}, {"n": "x"})
