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
