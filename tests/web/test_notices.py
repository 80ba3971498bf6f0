from __future__ import annotations

from typing import Any

from web import villagedata
from web.helpers import ClientFactory, attr, one, page_of, soup


async def _published(db: Any) -> None:
    from village_app.domain import Attendance, Publication, StageRecord, Vote

    await villagedata.small_village(db)
    matter = await villagedata.through_consultation(db)
    at = villagedata.at
    steps = [
        StageRecord(
            matter.id, "review", held_at=at(10), attendance=Attendance(40, 35), vote=Vote(30, 3, 2)
        ),
        StageRecord(
            matter.id,
            "resolution",
            body="representatives",
            held_at=at(15),
            attendance=Attendance(30, 21),
            vote=Vote(18, 2, 1),
            content="同意硬化村东机耕道。",
        ),
        StageRecord(
            matter.id,
            "resolution_publication",
            content="经村民代表会议表决通过，现予公开。",
            publication=Publication("关于修建村东机耕道的决议公告", "村务公开栏", at(16, 9)),
        ),
    ]
    for record in steps:
        await villagedata.store(db).append_stage_record(matter.id, record)


def test_printable_notice_for_a_publication(make_client: ClientFactory) -> None:
    client = make_client(setup=_published)
    matter = page_of(client.get("/matters")).matters[0]
    matter_page = client.get(f"/matters/{matter.id}")
    link = one(soup(matter_page), '#stage-resolution_publication a[data-action="notice"]')
    response = client.get(attr(link, "href"))
    page = page_of(response)
    assert page.publication.publication.where == "村务公开栏"
    assert page.decision.stage == "resolution" and page.decision.vote.in_favour == 18
    html = soup(response)
    assert one(html, ".notice-title").get_text() == "关于修建村东机耕道的决议公告"
    vote = one(html, ".notice-vote").get_text()
    assert "2026年11月15日" in vote and "赞成 18 票" in vote and "表决通过" in vote
    assert one(html, ".notice-sign").get_text().count("2026年11月16日") == 1
    assert attr(one(html, 'link[media="print"]'), "href").endswith("/static/print.css")


def test_a_record_that_is_no_publication_has_no_notice(make_client: ClientFactory) -> None:
    client = make_client(setup=_published)
    matter_id = page_of(client.get("/matters")).matters[0].id
    view = page_of(client.get(f"/matters/{matter_id}")).view
    meeting = next(s for s in view.stages if s.spec.key == "resolution").record
    assert client.get(f"/matters/{matter_id}/notices/{meeting.id}").status_code == 404


def _moral_review(commendation: bool) -> Any:
    async def setup(db: Any) -> None:
        from village_app.domain import Attendance, Matter, Publication, StageRecord, Vote

        await villagedata.small_village(db)
        matter = await villagedata.store(db).create_matter(
            Matter(
                kind="council",
                title="赡养老人问题评议",
                body="moral_review_council",
                year=2026,
                commendation=commendation,
            )
        )
        at = villagedata.at
        records = [
            StageRecord(matter.id, "council_proposal", held_at=at(1), content="评议某户赡养问题"),
            StageRecord(
                matter.id,
                "deliberation",
                held_at=at(3),
                attendance=Attendance(5, 5),
                content="纪要",
            ),
            StageRecord(
                matter.id,
                "council_vote",
                held_at=at(5),
                attendance=Attendance(5, 5),
                vote=Vote(5, 0, 0),
            ),
            StageRecord(matter.id, "council_resolution", held_at=at(5, 20), content="决议"),
        ]
        if commendation:  # only a commendation (红榜) is published
            records.append(
                StageRecord(
                    matter.id,
                    "council_publication",
                    content="评议结果",
                    publication=Publication("评议结果公告", "村务公开栏", at(6, 9)),
                )
            )
        for record in records:
            await villagedata.store(db).append_stage_record(matter.id, record)

    return setup


def test_a_commendation_has_a_notice(make_client: ClientFactory) -> None:
    client = make_client(setup=_moral_review(True))
    matter = page_of(client.get("/matters")).matters[0]
    link = one(soup(client.get(f"/matters/{matter.id}")), 'a[data-action="notice"]')
    response = client.get(attr(link, "href"))
    assert response.status_code == 200 and page_of(response).matter.commendation


def test_a_private_moral_review_matter_has_no_public_stage_and_no_notice(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_moral_review(False))
    matter = page_of(client.get("/matters")).matters[0]
    assert matter.stage == "completed"  # done after the resolution: no 公开 stage
    page = soup(client.get(f"/matters/{matter.id}"))
    assert page.select_one('a[data-action="notice"]') is None
    assert [li["data-stage"] for li in page.select("li[data-stage]")] == [
        "council_proposal",
        "deliberation",
        "council_vote",
        "council_resolution",
    ]
    any_record = next(
        s.record for s in page_of(client.get(f"/matters/{matter.id}")).view.stages if s.record
    )
    refused = client.get(f"/matters/{matter.id}/notices/{any_record.id}")
    assert refused.status_code == 404 and "没有公告可打印" in refused.text
    assert client.get(f"/matters/{matter.id}/stages/council_publication").status_code == 404
