"""The notice printed before its publication is recorded (issue 9 point 12): there once the
resolution has passed, worded by GET or by htmx's POST (a long text does not fit an
address), and its way on to the matter page's form carries the words that fit."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup

RESOLVED = "同意硬化村东机耕道。"


async def _resolved(db: Any) -> None:
    from village_app.domain import Attendance, StageRecord, Vote

    await villagedata.small_village(db)
    matter = await villagedata.through_consultation(db)
    for record in (
        StageRecord(
            matter.id,
            "review",
            held_at=villagedata.at(10),
            attendance=Attendance(40, 35),
            vote=Vote(30, 3, 2),
        ),
        StageRecord(
            matter.id,
            "resolution",
            body="representatives",
            held_at=villagedata.at(15),
            attendance=Attendance(30, 21),
            vote=Vote(18, 2, 1),
            content=RESOLVED,
        ),
    ):
        await villagedata.store(db).append_stage_record(matter.id, record)


def _matter_url(client: Any) -> str:
    return str(
        attr(one(soup(client.get("/matters")), "#results a[href^='/matters/matter']"), "href")
    )


def test_a_draft_notice_from_the_resolution(make_client: ClientFactory) -> None:
    client = make_client(setup=_resolved)
    url = _matter_url(client)
    # The publication's form starts from the resolution's text, and offers the notice.
    form = page_of(client.get(url)).next_form
    assert form.spec.key == "resolution_publication"
    assert form.state.values["content"] == RESOLVED
    draft = client.get(f"{url}/stages/resolution_publication/notice")
    assert draft.status_code == 200
    html = soup(draft)
    assert one(html, ".notice-title").get_text() == "关于修建村东机耕道的决议公告"
    assert one(html, ".notice-body").get_text() == RESOLVED
    assert "赞成 18 票" in one(html, ".notice-vote").get_text()
    # A stage that is no publication has no notice.
    assert client.get(f"{url}/stages/review/notice").status_code == 404


def test_a_long_text_is_posted_and_left_out_of_the_address(make_client: ClientFactory) -> None:
    client = make_client(setup=_resolved)
    url = _matter_url(client)
    long_text = "经村民代表会议表决通过。" * 300  # 3,600 characters: about 32 KB in an address
    response = client.post(
        f"{url}/stages/resolution_publication/notice",
        data={"content": long_text, "where": "村委会门口", **form_token(client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = soup(response)
    assert one(html, ".notice-body").get_text() == long_text
    assert one(html, ".notice-where").get_text().endswith("村委会门口")
    link = one(html, "#record-publication")
    assert attr(link, "hx-swap-oob") == "true"
    carried = parse_qs(urlsplit(attr(link, "href")).query)
    assert carried["where"] == ["村委会门口"] and "content" not in carried
    # A short text is carried to the form, and the form takes it.
    short = client.post(
        f"{url}/stages/resolution_publication/notice",
        data={"content": "决议如下：硬化村东机耕道。", **form_token(client)},
        headers={"HX-Request": "true"},
    )
    href = attr(one(soup(short), "#record-publication"), "href")
    assert parse_qs(urlsplit(href).query)["content"] == ["决议如下：硬化村东机耕道。"]
    form = page_of(client.get(href.split("#")[0])).next_form
    assert form.state.values["content"] == "决议如下：硬化村东机耕道。"
    assert form.state.values["where"] == "村务公开栏"
