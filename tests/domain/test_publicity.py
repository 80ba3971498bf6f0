from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.mango import matches
from village_app.domain import is_public, kiosk_selector

CASES: list[tuple[dict[str, Any], bool]] = [
    ({"_id": "village:1:profile", "type": "village", "name": "青禾村"}, True),
    ({"_id": "body:1:residents_council", "type": "body", "charter": "章程"}, True),
    ({"_id": "member:1:a", "type": "member", "name": "林国强", "role": "主任"}, True),
    ({"_id": "member:1:b", "type": "member", "name": "林国强", "phone": "13800000000"}, False),
    ({"_id": "member_private:1:a", "type": "member_private", "phone": "13800000000"}, False),
    ({"_id": "village_rule:1:a", "type": "village_rule", "published": True}, True),
    ({"_id": "village_rule:1:b", "type": "village_rule", "published": False}, False),
    (
        {"_id": "matter:1:a", "type": "matter", "stage": "proposal", "sensitive": False},
        False,
    ),  # draft
    ({"_id": "matter:1:b", "type": "matter", "stage": "resolution", "sensitive": False}, False),
    (
        {"_id": "matter:1:c", "type": "matter", "stage": "result_publication", "sensitive": False},
        True,
    ),
    ({"_id": "matter:1:d", "type": "matter", "stage": "completed", "sensitive": False}, True),
    (
        {
            "_id": "matter:1:e",
            "type": "matter",
            "stage": "completed",
            "sensitive": True,
            "commendation": False,
        },
        False,
    ),
    (
        {
            "_id": "matter:1:f",
            "type": "matter",
            "stage": "completed",
            "sensitive": True,
            "commendation": True,
        },
        True,
    ),
    (
        {
            "_id": "stage_record:1:a",
            "type": "stage_record",
            "stage": "resolution",
            "sensitive": False,
        },
        False,
    ),  # votes
    (
        {"_id": "stage_record:1:b", "type": "stage_record", "stage": "review", "sensitive": False},
        False,
    ),
    (
        {
            "_id": "stage_record:1:c",
            "type": "stage_record",
            "stage": "resolution_publication",
            "sensitive": False,
        },
        True,
    ),
    (
        {
            "_id": "stage_record:1:d",
            "type": "stage_record",
            "stage": "result_publication",
            "sensitive": False,
        },
        True,
    ),
    (
        {
            "_id": "stage_record:1:e",
            "type": "stage_record",
            "stage": "council_publication",
            "sensitive": True,
            "commendation": False,
        },
        False,
    ),
    (
        {
            "_id": "stage_record:1:f",
            "type": "stage_record",
            "stage": "council_publication",
            "sensitive": True,
            "commendation": True,
        },
        True,
    ),
    (
        {"_id": "stage_record:1:g", "type": "stage_record", "stage": "council_publication"},
        False,
    ),  # unknown sensitivity
    (
        {
            "_id": "stage_record:1:h",
            "type": "stage_record",
            "stage": "resolution_publication",
            "sensitive": False,
            "vote": {"in_favour": 2, "by_name": [["林国强", "for"]]},
        },
        False,
    ),  # a publication that somehow carries named votes stays home
    (
        {
            "_id": "stage_record:1:i",
            "type": "stage_record",
            "stage": "result_publication",
            "sensitive": False,
            "attendance": {"present": 21, "names": ["林国强"]},
        },
        False,
    ),  # and so does one naming who attended
    (
        {
            "_id": "stage_record:1:j",
            "type": "stage_record",
            "stage": "result_publication",
            "sensitive": False,
            "vote": None,
        },
        True,
    ),
    ({"_id": "supervision:1:a", "type": "supervision", "finding": "x"}, False),
    ({"_id": "review:1:a", "type": "review"}, False),
    ({"_id": "thing:1:a", "type": "something_new"}, False),
    ({"_id": "x"}, False),
    ({"_id": "_design/village", "type": "body"}, False),
]


@pytest.mark.parametrize(("doc", "public"), CASES)
def test_what_may_leave_the_village(doc: dict[str, Any], public: bool) -> None:
    assert is_public(doc) is public


@pytest.mark.parametrize(("doc", "public"), CASES)
def test_selector_agrees_with_is_public(doc: dict[str, Any], public: bool) -> None:
    assert matches(kiosk_selector(), doc) is public


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {"_id": st.just("doc:1:x")},
        optional={
            "type": st.sampled_from(
                [
                    "village",
                    "body",
                    "member",
                    "member_private",
                    "matter",
                    "stage_record",
                    "supervision",
                    "village_rule",
                    "review",
                    "other",
                ]
            ),
            "stage": st.sampled_from(
                [
                    "proposal",
                    "resolution",
                    "resolution_publication",
                    "result_publication",
                    "council_publication",
                    "completed",
                    "council_vote",
                ]
            ),
            "sensitive": st.booleans(),
            "commendation": st.booleans(),
            "published": st.booleans(),
            "phone": st.text(max_size=3),
            "attendees": st.lists(st.text(max_size=2), max_size=2),
            "vote": st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"in_favour": st.integers(0, 5)},
                    optional={"by_name": st.lists(st.text(max_size=2), max_size=2)},
                ),
            ),
            "attendance": st.fixed_dictionaries(
                {"present": st.integers(0, 5)},
                optional={"names": st.lists(st.text(max_size=2), max_size=2)},
            ),
        },
    )
)
def test_selector_and_function_agree_on_any_doc(doc: dict[str, Any]) -> None:
    assert matches(kiosk_selector(), doc) is is_public(doc)
