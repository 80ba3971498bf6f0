"""A council matter through its five steps, through the forms alone."""

from __future__ import annotations

from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup


def test_council_matter_five_steps(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    created = client.post(
        "/matters",
        data={
            "kind": "council",
            "body": "residents_council",
            "title": "修订村规民约第五条",
            "year": "2026",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    steps = [
        ("council_proposal", {"held_at": "2026-11-01T10:00", "content": "提议修订第五条"}),
        (
            "deliberation",
            {"held_at": "2026-11-03T19:00", "expected": "2", "present": "2", "content": "会议纪要"},
        ),
        (
            "council_vote",
            {"held_at": "2026-11-05T19:00", "expected": "2", "present": "2", "in_favour": "2"},
        ),
        ("council_resolution", {"held_at": "2026-11-05T20:00", "content": "决议修订第五条"}),
        (
            "council_publication",
            {"published_at": "2026-11-06T09:00", "where": "村务公开栏", "content": "公开决议"},
        ),
    ]
    for stage, fields in steps:
        form = page_of(client.get(url)).next_form
        assert (
            form is not None
            and form.spec.key == stage
            and form.bodies in (("residents_council",), ())
        )
        response = client.post(
            f"{url}/stages/{stage}", data={**fields, **form_token(client)}, follow_redirects=False
        )
        assert response.status_code == 303, (stage, page_of(response).form.state.errors)
    view = page_of(client.get(url)).view
    assert view.completed and view.current_stage == "completed"
    publication = view.stages[-1].record
    notice = page_of(client.get(f"{url}/notices/{publication.id}"))
    assert notice.decision is not None and notice.decision.stage == "council_vote"
    # The overview counts it as a completed council matter, not a completed major one.
    overview = page_of(client.get("/"))
    assert {c.stage: c.count for c in overview.council_stages}["completed"] == 1
    assert {c.stage: c.count for c in overview.major_stages}["completed"] == 0
    # Its "completed" link lists completed council matters only.
    link = attr(one(soup(client.get("/")), '#council-stages a[href*="stage=completed"]'), "href")
    listed = page_of(client.get(link))
    assert listed.filters.kind == "council" and [m.title for m in listed.matters] == [
        "修订村规民约第五条"
    ]
    assert page_of(client.get("/matters?kind=major&stage=completed")).total == 0
