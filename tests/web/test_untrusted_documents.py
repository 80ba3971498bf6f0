"""Documents that arrive malformed (by replication, as ``bulk_docs(new_edits=False)``) never
break a page: each is quarantined, listed on 无法读取的记录 with its id, and kept untouched.

A property test takes a real village, breaks random fields of random documents of every type
in ways the schema must refuse (wrong types, impossible dates, missing required fields, ids and
attachment names that cannot stand in a URL), writes each as a new winning revision or as a
conflicting branch, starts the app and crawls every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import sync
from village_app.domain import (
    Attendance,
    Body,
    BodyKind,
    Ceremony,
    Member,
    Publication,
    StageRecord,
    SupervisionEntry,
    Vote,
)
from web import villagedata
from web.helpers import PNG, ClientFactory, soup

#: Values no field of the stored shape accepts where they are put (per kind of field).
NOT_TEXT = st.sampled_from([0, 12.5, True, [], {}, ["x"]])
NOT_INT: st.SearchStrategy[object] = st.sampled_from(["lots", -1, 1.5, True, None, [], 10**12])
NOT_TIME = st.sampled_from(
    [
        0,
        "not-a-time",
        "0001-01-01T00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:00+00:00",
        "2026-02-30T10:00:00+08:00",
        [],
        True,
    ]
)
NOT_DATE = st.sampled_from(["not a date", 5, "0001-01-01", "9999-12-31", "2026-13-01", [], True])
NOT_FLAG = st.sampled_from(["yes", 1, [], "true"])
NOT_OBJECT = st.sampled_from(["lots", 7, ["a"], True])
BAD_ID = st.sampled_from(["a/b", "../x", "x?y", "#frag", "50%", "tab\tbed"])

#: For each document type: field -> what breaks it. ``None`` as a value means "remove it".
BREAKS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "matter": {
        "created_at": st.sampled_from([123, None, "not-a-time", []]),
        "title": st.one_of(NOT_TEXT, st.just(None)),
        "kind": st.sampled_from(["huge", 3, None]),
        "year": NOT_INT,
        "commendation": NOT_FLAG,
        "updated_at": NOT_TIME,
        "stage": NOT_TEXT,
    },
    "stage_record": {
        "attendance": NOT_OBJECT,
        "attendance.present": NOT_INT,
        "vote.in_favour": NOT_INT,
        "held_at": NOT_TIME,
        "publication.published_at": NOT_TIME,
        "stage": st.one_of(NOT_TEXT, st.just(None)),
        "township_staff": st.sampled_from(["张三", [1, 2], {}]),
        "rule": st.sampled_from(
            ["x", 3, {"quorum": "lots"}, {"quorum": {"members": [1, 0]}, "majority": 5}]
        ),
        "corrects": BAD_ID,
    },
    "member": {
        "term_start": NOT_DATE,
        "term_end": NOT_DATE,
        "name": st.one_of(NOT_TEXT, st.just(None)),
        "convenor": NOT_FLAG,
        "body": st.one_of(NOT_TEXT, st.just(None)),
    },
    "supervision": {
        "noted_at": NOT_TIME,
        "finding": NOT_TEXT,
        "status": NOT_TEXT,
        "matter": BAD_ID,
        "thread": st.sampled_from([5, "a/b", []]),
    },
    "ceremony": {
        "kind": st.one_of(NOT_TEXT, st.just(None)),
        "held_on": NOT_DATE,
        "tables": NOT_INT,
        "family": st.one_of(NOT_TEXT, st.just(None)),
    },
    "village_rule": {
        "title": st.one_of(NOT_TEXT, st.just(None)),
        "published": NOT_FLAG,
        "limits": NOT_OBJECT,
    },
    "body": {"rule": st.sampled_from(["x", 3, {"quorum": "lots"}]), "charter": NOT_TEXT},
    "village": {
        "name": st.one_of(NOT_TEXT, st.just(None)),
        "created_at": st.sampled_from([None, 5]),
    },
}


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    store = villagedata.store(db)
    matter = await villagedata.through_consultation(db)
    await store.append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "review",
            held_at=villagedata.at(9),
            attendance=Attendance(30, 24),
            vote=Vote(20, 2, 2),
        ),
    )
    await store.add_attachment((await store.list_stage_records(matter.id))[0].id, "签到表.png", PNG)
    await store.add_supervision(
        SupervisionEntry(
            "公开不及时", villagedata.SUPERVISORS[0], noted_at=villagedata.at(10), matter=matter.id
        )
    )
    await store.add_member(
        Member(
            BodyKind.WEDDINGS_FUNERALS_COUNCIL,
            "田理事",
            "理事长",
            dt.date(2024, 1, 1),
            convenor=True,
        )
    )
    await store.add_village_rule(
        "红白事标准", "红白事简办标准", "婚事不超过15桌", limits={"wedding": {"max_tables": 15}}
    )
    await store.add_ceremony(
        Ceremony(
            kind="wedding",
            family="张家",
            held_on=dt.date(2026, 5, 1),
            tables=12,
            registered_by="田理事",
        )
    )
    await store.save_body(Body(BodyKind.RESIDENTS_COUNCIL, charter="章程"))
    await store.append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "resolution",
            body="representatives",
            held_at=villagedata.at(12),
            attendance=Attendance(30, 21),
            vote=Vote(18, 2, 1),
            content="决议",
        ),
    )
    await store.append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "resolution_publication",
            content="公告",
            publication=Publication("决议公告", "村务公开栏", villagedata.at(13)),
        ),
    )


def _break(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    broken: dict[str, Any] = json.loads(json.dumps(doc))
    target = broken
    *parents, key = path.split(".")
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if value is None and key not in ("attendance",):
        target.pop(key, None)
    else:
        target[key] = value
    return broken


def _revisions(
    doc: dict[str, Any], body: dict[str, Any], *, sibling: bool
) -> tuple[str, dict[str, Any]]:
    """A new revision on top of the winner, or (``sibling``) a branch beside it."""
    start, ids = doc["_revisions"]["start"], doc["_revisions"]["ids"]
    digest = hashlib.md5(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    if sibling:
        return f"{start}-{digest}", {"start": start, "ids": [digest, *ids[1:]]}
    return f"{start + 1}-{digest}", {"start": start + 1, "ids": [digest, *ids]}


Breakage = tuple[str, int, str, Any, bool]  # type, which doc of it, field, value, as a conflict


@st.composite
def breakages(draw: st.DrawFn) -> list[Breakage]:
    found = []
    for _ in range(draw(st.integers(1, 6))):
        doc_type = draw(st.sampled_from(sorted(BREAKS)))
        path = draw(st.sampled_from(sorted(BREAKS[doc_type])))
        value = draw(BREAKS[doc_type][path])
        conflict = doc_type in ("matter", "member", "body") and draw(st.booleans())
        found.append((doc_type, draw(st.integers(0, 5)), path, value, conflict))
    return found


def _apply(client: TestClient, plan: list[Breakage]) -> set[str]:
    """Write the broken revisions; returns the ids of documents whose winner is now broken."""
    from village_app.web.state import app_state

    db = app_state(client.app).db  # type: ignore[arg-type]
    assert db is not None

    async def write() -> set[str]:
        broken: set[str] = set()
        for doc_type, n, path, value, conflict in plan:
            docs = (await db.find({"type": doc_type}))["docs"]
            if not docs:
                continue
            doc = await db.get(sorted(d["_id"] for d in docs)[n % len(docs)], revs=True)
            if doc["_id"] in broken:
                continue
            kept = {k: v for k, v in doc.items() if k not in ("_rev", "_revisions", "_attachments")}
            body = _break(kept, path, value)
            rev, revisions = _revisions(doc, body, sibling=conflict)
            await db.bulk_docs([{**body, "_rev": rev, "_revisions": revisions}], new_edits=False)
            winner = await db.get(doc["_id"])
            if winner["_rev"] == rev:
                broken.add(doc["_id"])
        return broken

    result: set[str] = client.portal.call(write)  # type: ignore[union-attr]
    return result


def _crawl(client: TestClient) -> list[str]:
    """Every page a secretary can open, from the overview outwards: (status, path) of each."""
    todo, seen, answers = ["/unreadable", "/"], set(), []
    while todo:
        path = todo.pop()
        if (
            path in seen
            or not path.startswith("/")
            or path.startswith(("/static", "/logout", "/lang"))
        ):
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=False)
        answers.append(f"{response.status_code} {path}")
        if response.headers.get("content-type", "").startswith("text/html"):
            for link in soup(response).select("a[href]"):
                href = str(link["href"]).split("#")[0]
                if href and href not in seen:
                    todo.append(href)
    return answers


@settings(
    # Each example starts an app and crawls it (about 5 s); shrinking is off so that a failure
    # reports at once, with its plan in the message.
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=breakages())
def test_malformed_documents_are_quarantined_and_every_page_works(
    make_client: ClientFactory, plan: list[Breakage]
) -> None:
    client = make_client(setup=_village)
    broken = _apply(client, plan)
    answers = _crawl(client)
    assert not [a for a in answers if a.startswith("5")], (answers, plan)
    reached = {a.split(" ", 1)[1] for a in answers}
    assert {
        "/",
        "/matters",
        "/councils",
        "/supervision",
        "/ceremonies",
        "/unreadable",
    } <= reached, answers
    listed = {
        str(row["data-id"])
        for row in soup(client.get("/unreadable")).select("#unreadable-list tr[data-id]")
    }
    assert broken <= listed, (broken - listed, plan)
