"""The write rules exist twice: as the JavaScript CouchDB runs and as the Python the laptop
runs. Both are fed the same random writes (hypothesis) and must decide the same: allowed, or
refused with the same rule code. The JavaScript runs in Node (ES5, as CouchDB's engines)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from village_app.county.provision import design_doc, security_doc, validate_source
from village_app.domain.write_rules import RULES, Writer, check_write

VILLAGE = "990101001001"
NODE = shutil.which("node")

_RUNNER = r"""
const src = require('fs').readFileSync(0, 'utf8');
const input = JSON.parse(src);
const validate = eval('(' + input.source + ')');
const out = input.cases.map(function (c) {
  try {
    validate(c.new, c.old, c.user, {});
    return null;
  } catch (e) {
    if (e && e.forbidden) return String(e.forbidden).split(':')[0];
    return 'THREW ' + String(e);
  }
});
process.stdout.write(JSON.stringify(out));
"""

_types = st.sampled_from([*RULES["village_types"], *RULES["county_types"], "gossip", "", None, 3])
_villages = st.sampled_from([VILLAGE, "990101002001", "", None])
_names = st.sampled_from(["sec", "rev", "other", None])
_roles = st.lists(
    st.sampled_from(
        [
            f"village_{VILLAGE}",
            "village_990101002001",
            "township_990101001",
            "township_990101002",
            "county_reviewer",
            "county_admin",
            "_admin",
            "kiosk_990101001001",
        ]
    ),
    max_size=3,
)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
)
_attachments = st.dictionaries(
    st.sampled_from(["a.png", "b.pdf"]),
    st.fixed_dictionaries({"digest": st.sampled_from(["md5-1", "md5-2"]), "stub": st.just(True)}),
    max_size=2,
)


@st.composite
def _doc(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": draw(st.sampled_from(["matter:x:1", "_design/x", "stage_record:x:2"]))
    }
    for key, strategy in (
        ("type", _types),
        ("village", _villages),
        ("created_by", _names),
        ("created_at", st.sampled_from(["2026-01-01T00:00:00Z", "2025-01-01T00:00:00Z"])),
        ("text", _values),
        ("sensitive", st.booleans()),
        ("commendation", st.booleans()),
        ("_attachments", _attachments),
    ):
        if draw(st.booleans()):
            doc[key] = draw(strategy)
    return doc


@st.composite
def _case(draw: st.DrawFn) -> dict[str, Any]:
    old = draw(st.one_of(st.none(), _doc()))
    if old is not None and draw(st.booleans()):
        # an edit of the old version: change one field (or none) so the interesting paths run
        new = dict(old)
        key = draw(
            st.sampled_from(["text", "sensitive", "created_by", "village", "_attachments", "type"])
        )
        if draw(st.booleans()):
            new[key] = draw(_values)
        else:
            new.pop(key, None)
    else:
        new = draw(_doc())
    if draw(st.integers(0, 5)) == 0:
        new = {"_id": new.get("_id", "x"), "_deleted": True}
    return {"new": new, "old": old, "user": {"name": draw(_names), "roles": draw(_roles)}}


def _run_js(cases: list[dict[str, Any]]) -> list[str | None]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", _RUNNER],
        input=json.dumps({"source": validate_source(VILLAGE), "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: list[str | None] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(NODE is None, reason="needs Node (make test installs the peer with it)")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_case(), min_size=50, max_size=50))
def test_javascript_and_python_decide_alike(cases: list[dict[str, Any]]) -> None:
    js = _run_js(cases)
    for case, js_code in zip(cases, js, strict=True):
        writer = Writer(case["user"]["name"], tuple(case["user"]["roles"]))
        refusal = check_write(case["new"], case["old"], writer, VILLAGE)
        assert (refusal.code if refusal else None) == js_code, case


def test_design_document_embeds_the_rules_and_the_village() -> None:
    source = design_doc(VILLAGE)["validate_doc_update"]
    assert "/*RULES*/" not in source and "/*VILLAGE*/" not in source
    assert f'"{VILLAGE}"' in source and '"evidence_types"' in source
    members = security_doc(VILLAGE)["members"]["roles"]
    assert members == [
        f"village_{VILLAGE}",
        "township_990101001",
        "county_reviewer",
        "county_publisher",
    ]


def _service_cases() -> list[tuple[str, dict[str, Any], str | None]]:
    """The writes the service pages make (issue 13), as documents: ending a project or a
    pairing (the county edits what it wrote), a correction of a service or a duty (a new
    entry), and what must stay refused."""
    import datetime as dt
    from dataclasses import replace

    from village_app import repo
    from village_app.domain.services import (
        DutyLog,
        OrgRef,
        Pairing,
        Project,
        ServiceLog,
        end_pairing,
        end_project,
    )
    from village_app.repo.docs import services as sdocs

    clerk, secretary = repo.Actor("rev"), repo.Actor("sec")
    org = OrgRef("service_org:990101:O", "仁和医院", "县卫健系统行业党委", "hospital")
    project = Project("上门义诊", "service_resource:x:R", org, "charity", dt.date(2026, 3, 1))
    project_doc = {**sdocs.project_to_doc(VILLAGE, project, clerk), "_rev": "1-a"}
    read = sdocs.project_from_doc(project_doc)
    ended = end_project(read, dt.date(2026, 9, 30), "医院人手不足")
    ended_doc = sdocs.project_to_doc(VILLAGE, ended, clerk)
    pairing_doc = {
        **sdocs.pairing_to_doc(VILLAGE, Pairing(org, dt.date(2026, 1, 1), "每月"), clerk),
        "_rev": "1-b",
    }
    pairing_end = sdocs.pairing_to_doc(
        VILLAGE,
        end_pairing(sdocs.pairing_from_doc(pairing_doc), dt.date(2026, 6, 1), "改结对邻村"),
        clerk,
    )
    log = ServiceLog(dt.date(2026, 4, 1), "测血压", 20, project_id=str(project_doc["_id"]))
    log_doc = {**sdocs.service_log_to_doc(VILLAGE, log, secretary), "_rev": "1-c"}
    fix = replace(log, people_served=18, corrects=str(log_doc["_id"]), reason="重复登记")
    fix_doc = sdocs.service_log_to_doc(VILLAGE, fix, secretary)
    duty = DutyLog("service_post:x:patrol", "赵大山", dt.date(2026, 3, 1), "巡逻", 2.0)
    duty_doc = {**sdocs.duty_log_to_doc(VILLAGE, duty, secretary), "_rev": "1-d"}
    duty_fix = sdocs.duty_log_to_doc(
        VILLAGE, replace(duty, hours=3.0, corrects=str(duty_doc["_id"]), reason="时长"), secretary
    )
    reviewer = {"name": "rev", "roles": ["township_990101001"]}
    sec = {"name": "sec", "roles": [f"village_{VILLAGE}"]}
    return [
        ("end project", {"new": ended_doc, "old": project_doc, "user": reviewer}, None),
        ("end pairing", {"new": pairing_end, "old": pairing_doc, "user": reviewer}, None),
        (
            "secretary ends a project",
            {"new": {**ended_doc, "updated_by": "sec"}, "old": project_doc, "user": sec},
            "county_writes_only",
        ),
        ("service correction", {"new": fix_doc, "old": None, "user": sec}, None),
        ("duty correction", {"new": duty_fix, "old": None, "user": sec}, None),
        (
            "service edited",
            {"new": {**log_doc, "people_served": 18}, "old": log_doc, "user": sec},
            "evidence_changed",
        ),
        (
            "service deleted",
            {"new": {"_id": log_doc["_id"], "_deleted": True}, "old": log_doc, "user": sec},
            "evidence_deleted",
        ),
        (
            "reviewer corrects a service",
            {"new": {**fix_doc, "created_by": "rev"}, "old": None, "user": reviewer},
            "village_writes_only",
        ),
    ]


@pytest.mark.skipif(NODE is None, reason="needs Node (make test installs the peer with it)")
def test_the_service_pages_writes_decide_alike() -> None:
    """What ending, correcting and the rest write is judged the same by CouchDB's rules and the
    laptop's, and as the pages expect."""
    named = _service_cases()
    js = _run_js([case for _, case, _ in named])
    for (what, case, expected), js_code in zip(named, js, strict=True):
        writer = Writer(case["user"]["name"], tuple(case["user"]["roles"]))
        refusal = check_write(case["new"], case["old"], writer, VILLAGE)
        assert (refusal.code if refusal else None) == js_code == expected, what
