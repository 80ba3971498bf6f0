"""A roster's conflicting versions (from replication) are shown on the council page and resolved."""

from __future__ import annotations

from typing import Any

from village_app.domain import Body
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, one, page_of, soup


def _branch(doc: dict[str, Any], marker: str, **fields: Any) -> dict[str, Any]:
    """Another laptop's edit of the revision ``doc`` is at, as replication stores it."""
    return {
        **doc,
        **fields,
        "_rev": "2-" + marker * 32,
        "_revisions": {"start": 2, "ids": [marker * 32, doc["_rev"].split("-")[1]]},
    }


async def _conflicting_roster(db: Any) -> None:
    await villagedata.small_village(db)
    await villagedata.store(db).save_body(Body("residents_council", charter="章程初稿"))
    seat = next(
        m
        for m in await villagedata.store(db).list_members("residents_council")
        if m.name == "林委员"
    )
    doc = await db.get(seat.id)
    body = await db.get(f"body:{VILLAGE}:residents_council")
    await db.bulk_docs(
        [
            _branch(doc, "a", term_end="2026-06-30"),
            _branch(doc, "b", role="副会长"),
            _branch(body, "c", charter="章程（甲）"),
            _branch(body, "d", charter="章程（乙）"),
        ],
        new_edits=False,
    )


def test_roster_conflicts_are_shown_and_each_resolved(make_client: ClientFactory) -> None:
    client = make_client(setup=_conflicting_roster)
    council = client.get("/councils/residents_council")
    assert page_of(council).conflicts == 2
    link = attr(one(soup(council), "#conflict-notice a"), "href")
    response = client.get(link)
    page = page_of(response)
    by_type = {d.type: d for d in page.docs}
    assert sorted(v.get("role") for v in by_type["member"].versions) == ["副会长", "委员"]
    assert sorted(v["charter"] for v in by_type["body"].versions) == ["章程（乙）", "章程（甲）"]
    assert len(soup(response).select("section.conflict")) == 2
    seat = by_type["member"]
    keep = next(v for v in seat.versions if v.get("role") == "副会长")
    done = client.post(
        link,
        data={"docid": seat.id, "rev": keep["_rev"], **form_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    roster = page_of(client.get("/councils/residents_council"))
    assert roster.conflicts == 1
    assert {m.name: m.role for m in roster.roster.members}["林委员"] == "副会长"
    body = by_type["body"]
    keep = next(v for v in body.versions if v["charter"] == "章程（甲）")
    assert (
        client.post(
            link,
            data={"docid": body.id, "rev": keep["_rev"], **form_token(client)},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert page_of(client.get(link)).docs == ()
    assert page_of(client.get("/councils/residents_council")).roster.charter == "章程（甲）"


def test_only_this_rosters_documents_can_be_resolved_here(make_client: ClientFactory) -> None:
    client = make_client(setup=_conflicting_roster)
    seat = next(
        d
        for d in page_of(client.get("/councils/residents_council/conflicts")).docs
        if d.type == "member"
    )
    wrong_body = client.post(
        "/councils/party_branch/conflicts",
        data={"docid": seat.id, "rev": seat.versions[1]["_rev"], **form_token(client)},
    )
    assert wrong_body.status_code == 404
    assert page_of(client.get("/councils/residents_council")).conflicts == 2
