"""The allow-list of what may be public, and the projections that make public twins."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.mango import matches
from village_app.domain import (
    SHANGHAI,
    Attendance,
    Matter,
    Publication,
    StageRecord,
    Vote,
    check_public,
    evaluate_meeting,
    fold_matter,
    kiosk_selector,
)
from village_app.domain.organisation import Member
from village_app.domain.publicity import (
    COMMON_FIELDS,
    PUBLIC_FIELDS,
    PUBLIC_TYPES,
    public_matter,
    public_member,
    public_village_rule,
)
from village_app.domain.rules import rule_for

V = "990101001001"
T0 = datetime(2026, 3, 2, 19, 30, tzinfo=SHANGHAI)


def _twin(doc_type: str, **fields: Any) -> dict[str, Any]:
    return {"_id": f"{doc_type}:{V}:x", "_rev": "1-a", "type": doc_type, "village": V, **fields}


ACCEPTED: list[dict[str, Any]] = [
    _twin("public_village", code=V, name="青禾村", township="东溪镇", county="青禾县"),
    _twin("public_body", kind="residents_council", charter="章程"),
    _twin("public_member", body="residents_council", name="林国强", role="主任", convenor=True),
    _twin("public_member", name="林国强", term_start="2024-01-01", term_end=None),
    _twin(
        "public_village_rule",
        kind="ceremony_standard",
        title="红白事标准",
        text="婚宴不超过15桌",
        limits={"wedding": {"max_tables": 15}, "funeral": {"max_gift": 200}},
    ),
    _twin(
        "public_matter",
        title="修村道",
        year=2026,
        commendation=False,
        stages=[{"stage": "resolution", "date": "2026-03-02", "in_favour": 20, "passed": True}],
    ),
    _twin("public_matter", withdrawn=True),
    {"_id": f"public_matter:{V}:x", "_rev": "2-b", "_deleted": True, "type": "public_matter"}
    | {"village": V},
    {**_twin("public_matter", title="t"), "_revisions": {"start": 1, "ids": ["a"]}},
]

REFUSED: list[tuple[dict[str, Any], str]] = [
    # The deny-list this replaces let these through (issue 8 §6).
    (_twin("public_member", name="林国强", mobile="13800000000"), "field: mobile"),
    (_twin("public_member", name="林国强", phone_number="138"), "field: phone_number"),
    (_twin("public_member", name="林国强", id_card="330"), "field: id_card"),
    (_twin("public_member", name="林国强", private={"phone": "138"}), "field: private"),
    ({"_id": "_design/cunyi", "type": "public_matter", "village": V}, "design"),
    ({"_id": "_local/x", "type": "public_matter", "village": V}, "design"),
    # Records themselves never pass, public or not.
    ({"_id": f"member:{V}:x", "type": "member", "village": V, "name": "林"}, "type"),
    ({"_id": f"matter:{V}:x", "type": "matter", "village": V, "stage": "completed"}, "type"),
    ({"_id": f"stage_record:{V}:x", "type": "stage_record", "village": V}, "type"),
    ({"_id": f"member_private:{V}:x", "type": "member_private", "village": V}, "type"),
    # Names in a stage, at any depth; wrong kinds that could smuggle a structure in.
    (
        _twin("public_matter", stages=[{"stage": "resolution", "by_name": [["林", "for"]]}]),
        "field: stages.0.by_name",
    ),
    (
        _twin("public_matter", stages=[{"stage": "review", "names": ["林国强"]}]),
        "field: stages.0.names",
    ),
    (_twin("public_matter", title={"phone": "138"}), "kind: title"),
    (_twin("public_matter", stages={"stage": "x"}), "kind: stages"),
    (_twin("public_matter", stages=["林国强"]), "kind: stages.0"),
    (_twin("public_matter", year=True), "kind: year"),
    (
        _twin("public_village_rule", limits={"wedding": {"host": "林"}}),
        "field: limits.wedding.host",
    ),
    # Attachments (a scan of a signed sheet names everyone on it) never leave.
    (_twin("public_matter", _attachments={"sheet.jpg": {"stub": True}}), "field: _attachments"),
    # A withdrawn twin or a tombstone carries nothing else.
    (_twin("public_matter", withdrawn=True, title="修村道"), "withdrawn: title"),
    (
        {"_id": f"public_matter:{V}:x", "_deleted": True, "type": "public_matter", "village": V}
        | {"title": "t"},
        "withdrawn: title",
    ),
    # Another village, a type the id does not name.
    ({**_twin("public_matter"), "village": "990101002001"}, "village"),
    ({**_twin("public_matter"), "_id": f"public_member:{V}:x"}, "id"),
    (_twin("public_something"), "type"),
    ({"type": "public_matter", "village": V}, "design"),
]


@pytest.mark.parametrize("doc", ACCEPTED)
def test_public_twins_pass(doc: dict[str, Any]) -> None:
    assert check_public(doc, V) is None


@pytest.mark.parametrize(("doc", "reason"), REFUSED)
def test_anything_not_on_the_allow_list_is_refused(doc: dict[str, Any], reason: str) -> None:
    refusal = check_public(doc, V)
    assert refusal is not None and refusal.reason == reason


def test_the_selector_passes_twins_only() -> None:
    assert all(matches(kiosk_selector(), d) for d in ACCEPTED)
    for doc in (
        {"_id": "_design/x", "type": "public_matter"},
        {"_id": f"matter:{V}:x", "type": "matter", "stage": "completed"},
        {"_id": f"member:{V}:x", "type": "member"},
        {"_id": f"public_matter:{V}:x"},  # a tombstone without its type: nothing to pass
    ):
        assert not matches(kiosk_selector(), doc), doc


_SCALARS = st.one_of(st.none(), st.text(max_size=4), st.integers(-5, 5), st.booleans())
_ANY = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(
    doc_type=st.sampled_from(PUBLIC_TYPES),
    extra=st.dictionaries(st.text(min_size=1, max_size=12), _ANY, min_size=1, max_size=3),
)
def test_a_field_not_on_the_list_never_passes(doc_type: str, extra: dict[str, Any]) -> None:
    allowed = set(PUBLIC_FIELDS[doc_type]) | set(COMMON_FIELDS) | {"_id", "_rev", "_revisions"}
    extra = {k: v for k, v in extra.items() if k not in allowed and k != "_deleted"}
    doc = {**_twin(doc_type), **extra}
    if extra:
        assert check_public(doc, V) is not None


def _meeting(stage: str, day: int, **kw: Any) -> StageRecord:
    return StageRecord(
        "matter:1:m",
        stage,
        held_at=T0 + timedelta(days=day),
        attendance=kw.pop("attendance", Attendance(3, 2, attendees=("林国强", "王秀英"))),
        content=f"{stage}内容",
        township_staff=("乡干部赵某",),
        **kw,
    )


def _major_records(*, through: int) -> list[StageRecord]:
    vote = Vote(2, 0, 0, by_name=(("林国强", "for"), ("王秀英", "for")))
    steps = [
        _meeting("proposal", 0),
        _meeting("consultation", 1),
        _meeting("review", 2, vote=vote),
        _meeting("resolution", 3, vote=vote),
        StageRecord(
            "matter:1:m",
            "resolution_publication",
            content="决议全文",
            publication=Publication("关于修村道的公告", "村务公开栏", T0 + timedelta(days=4)),
        ),
        StageRecord(
            "matter:1:m",
            "result_publication",
            content="已完工",
            publication=Publication("结果公告", "村务公开栏", T0 + timedelta(days=40)),
        ),
    ]
    rule = rule_for("party_branch")
    out = []
    for i, record in enumerate(steps[:through]):
        outcome = (
            evaluate_meeting(rule, record.attendance, record.vote) if record.attendance else None
        )
        out.append(replace(record, id=f"stage_record:1:{i}", rule=rule, outcome=outcome))
    return out


MATTER = Matter(kind="major", title="修村道", body="party_branch", year=2026, id="matter:1:m")


def test_a_matter_is_public_once_its_resolution_is_published() -> None:
    assert public_matter(fold_matter(MATTER, _major_records(through=4))) is None
    shown = public_matter(fold_matter(MATTER, _major_records(through=6)))
    assert shown is not None
    assert [s["stage"] for s in shown["stages"]] == [
        "proposal",
        "consultation",
        "review",
        "resolution",
        "resolution_publication",
        "result_publication",
    ]
    assert shown["published_on"] == "2026-03-06"
    assert (
        shown["stages"][3]["in_favour"] == 2 and shown["stages"][3]["content"] == "resolution内容"
    )
    assert "content" not in shown["stages"][0]  # a proposal's text stays in the village
    twin = {"_id": f"public_matter:{V}:m", "type": "public_matter", "village": V, **shown}
    assert check_public(twin, V) is None
    text = repr(shown)
    for name in ("林国强", "王秀英", "乡干部赵某"):
        assert name not in text


def test_a_moral_review_is_public_only_as_a_commendation() -> None:
    review = Matter(kind="council", title="评议", body="moral_review_council", year=2026, id="m")
    records = [
        StageRecord("m", "council_proposal", held_at=T0, content="提名张某", id="r1"),
    ]
    assert public_matter(fold_matter(review, records)) is None
    assert public_matter(fold_matter(replace(review, commendation=True), records)) is None


def test_a_seat_shows_name_and_role_only() -> None:
    member = Member(
        "residents_council", "林国强", "主任", phone="13800000000", close_relatives=("林小梅",)
    )
    shown = public_member(member)
    assert shown is not None and set(shown) == {
        "body",
        "name",
        "role",
        "convenor",
        "term_start",
        "term_end",
    }
    assert "13800000000" not in repr(shown) and "林小梅" not in repr(shown)
    assert public_member(Member("party_branch", "林国强", "党员")) is None


def test_a_rule_not_published_has_no_public_face() -> None:
    assert public_village_rule({"kind": "k", "title": "t", "text": "x", "published": False}) is None
    shown = public_village_rule(
        {"kind": "k", "title": "t", "text": "x", "published": True, "limits": {"wedding": {"a": 1}}}
    )
    assert shown == {"kind": "k", "title": "t", "text": "x", "limits": {"wedding": {}}}
