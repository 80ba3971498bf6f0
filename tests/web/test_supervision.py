from __future__ import annotations

from typing import Any

from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup


def test_finding_then_follow_up_to_closed(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    page = page_of(client.get("/supervision"))
    assert page.supervisors == villagedata.SUPERVISORS
    added = client.post(
        "/supervision",
        data={"finding": "决议公开未附表决票数", "recorded_by": "周监督", **form_token(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    (thread,) = page_of(client.get("/supervision")).threads
    assert thread.status == "open" and thread.first.finding == "决议公开未附表决票数"
    assert [t.first.finding for t in page_of(client.get("/")).open_supervision] == [
        "决议公开未附表决票数"
    ]
    closed = client.post(
        f"/supervision/{thread.id}",
        data={
            "follow_up": "已补充公开",
            "status": "closed",
            "recorded_by": "吴监督",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    response = client.get("/supervision")
    (thread,) = page_of(response).threads
    assert thread.status == "closed" and page_of(response).open_count == 0
    assert (
        one(soup(response), '[data-status="closed"] .entries').get_text().count("已补充公开") == 1
    )


def test_only_supervisors_record_findings(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    response = client.post(
        "/supervision", data={"finding": "问题", "recorded_by": "李书记", **form_token(client)}
    )
    assert response.status_code == 422
    assert (
        page_of(response)
        .form.errors["recorded_by"]
        .startswith("李书记不是村务监督委员会的在任成员")
    )


def test_a_closed_item_cannot_reopen(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    client.post(
        "/supervision", data={"finding": "问题", "recorded_by": "周监督", **form_token(client)}
    )
    (thread,) = page_of(client.get("/supervision")).threads
    client.post(
        f"/supervision/{thread.id}",
        data={
            "follow_up": "办结",
            "status": "closed",
            "recorded_by": "周监督",
            **form_token(client),
        },
    )
    again = client.post(
        f"/supervision/{thread.id}",
        data={"follow_up": "再议", "status": "open", "recorded_by": "周监督", **form_token(client)},
    )
    assert again.status_code == 409
    assert (
        client.post(
            "/supervision/no-such-thread",
            data={"follow_up": "x", "recorded_by": "周监督", **form_token(client)},
        ).status_code
        == 404
    )


def test_a_finding_about_a_matter_links_to_it_by_title(make_client: ClientFactory) -> None:
    made: dict[str, Any] = {}

    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        made["matter"] = await villagedata.major_matter(db)

    client = make_client(setup=setup)
    matter = made["matter"]
    added = client.post(
        "/supervision",
        data={
            "finding": "未附签到表",
            "recorded_by": "周监督",
            "matter": matter.id,
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    response = client.get("/supervision")
    assert page_of(response).matter_titles == {matter.id: "修建村东机耕道"}
    link = one(soup(response), "a.matter-link")
    assert (
        link.get_text() == "相关事项：修建村东机耕道"
        and attr(link, "href") == f"/matters/{matter.id}"
    )
