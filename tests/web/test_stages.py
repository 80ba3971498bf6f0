"""Recording stages through the forms: the procedure, quorum, attachments, corrections."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from web import villagedata
from web.helpers import PDF, PNG, ClientFactory, attr, form_token, one, page_of, soup


@pytest.fixture
def reviewed(make_client: ClientFactory) -> tuple[TestClient, str]:
    """A client and a major matter whose first two stages are done (the review comes next)."""
    made: dict[str, Any] = {}

    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        made["matter"] = await villagedata.through_consultation(db)

    client = make_client(setup=setup)
    return client, made["matter"].id


def _meeting(client: TestClient, **fields: str) -> dict[str, str]:
    return {
        "held_at": "2026-11-10T19:00",
        "place": "村委会议室",
        "form": "现场会议",
        **fields,
        **form_token(client),
    }


def _review(client: TestClient, matter_id: str) -> None:
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(
            client,
            expected="40",
            present="35",
            in_favour="30",
            against="3",
            abstain="2",
            content="同意",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303, page_of(response).form.state.errors


def test_stage_form_page_without_javascript(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.get(f"/matters/{matter_id}/stages/review")
    form = page_of(response).form
    assert form.spec.key == "review" and form.bodies == ("party_members",)
    html = soup(response)
    node = one(html, "form#stage-form-review")
    assert (
        attr(node, "action").endswith(f"/matters/{matter_id}/stages/review")
        and attr(node, "enctype") == "multipart/form-data"
    )
    assert node.select_one('input[type="file"][name="attachment"]') is not None


def test_skipping_a_stage_is_refused(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/resolution",
        data=_meeting(
            client,
            body="representatives",
            expected="30",
            present="25",
            in_favour="20",
            content="决议",
        ),
    )
    assert response.status_code == 409
    assert page_of(response).form.state.errors["stage"].startswith("不能跳过阶段")


def test_representatives_meeting_20_of_30_is_refused_21_counts(
    reviewed: tuple[TestClient, str],
) -> None:
    client, matter_id = reviewed
    _review(client, matter_id)
    url = f"/matters/{matter_id}/stages/resolution"
    refused = client.post(
        url,
        data=_meeting(
            client,
            body="representatives",
            expected="30",
            present="20",
            in_favour="18",
            content="决议",
        ),
    )
    assert refused.status_code == 422
    errors = page_of(refused).form.state.errors
    assert errors["present"] == "实到20人，未达法定人数（应到30人，至少需21人）"
    assert one(soup(refused), '[data-field="present"]').get_text() == errors["present"]
    assert page_of(client.get(f"/matters/{matter_id}")).view.current_stage == "resolution"

    counted = client.post(
        url,
        data=_meeting(
            client,
            body="representatives",
            expected="30",
            present="21",
            in_favour="18",
            against="2",
            content="决议",
        ),
        follow_redirects=False,
    )
    assert counted.status_code == 303
    view = page_of(client.get(f"/matters/{matter_id}")).view
    assert view.current_stage == "resolution_publication"
    record = next(s for s in view.stages if s.spec.key == "resolution").record
    assert record.attendance.present == 21 and record.outcome.quorate and record.outcome.passed


def test_a_failed_meeting_may_be_kept_as_evidence(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    _review(client, matter_id)
    kept = client.post(
        f"/matters/{matter_id}/stages/resolution",
        data=_meeting(
            client,
            body="representatives",
            expected="30",
            present="20",
            in_favour="18",
            content="决议",
            keep_failed="on",
        ),
        follow_redirects=False,
    )
    assert kept.status_code == 303
    response = client.get(f"/matters/{matter_id}")
    stage = next(s for s in page_of(response).view.stages if s.spec.key == "resolution")
    assert stage.status == "failed" and len(stage.attempts) == 1
    assert (
        soup(response).select_one('#stage-resolution [data-outcome="failed"] [data-quorate="no"]')
        is not None
    )


def test_votes_over_those_present_are_refused(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(
            client, expected="40", present="30", in_favour="25", against="6", abstain="0"
        ),
    )
    assert response.status_code == 422
    assert "超过实到人数30" in page_of(response).form.state.errors["in_favour"]


def test_htmx_adds_the_record_in_place(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(
            client, expected="40", present="35", in_favour="30", against="3", content="同意"
        ),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = soup(response)
    assert html.find("html") is None
    assert attr(one(html, "section#timeline li#stage-review"), "data-status") == "done"
    assert html.select_one("form#stage-form-resolution") is not None


def test_htmx_error_retargets_the_form(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(client, expected="40", present="20", in_favour="15"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#stage-form-review"
    assert soup(response).select_one("form#stage-form-review [data-field='present']") is not None


def test_scanned_sheet_is_stored_and_served(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(client, expected="40", present="35", in_favour="30", content="同意"),
        files=[
            ("attachment", ("签到表.pdf", PDF, "application/pdf")),
            ("attachment", ("photo.jpg", PNG, "image/jpeg")),
        ],
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(f"/matters/{matter_id}")
    record = next(s for s in page_of(page).view.stages if s.spec.key == "review").record
    # The name follows the content: a PNG sent as photo.jpg is stored as .png.
    assert sorted(a.name for a in record.attachments) == ["photo.png", "签到表.pdf"]
    link = one(one(soup(page), f'[data-record="{record.id}"]'), ".attachments a")
    served = client.get(attr(link, "href"))
    assert served.status_code == 200 and served.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert served.content in (PDF, PNG)


def test_an_upload_that_is_not_a_scan_is_refused(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(client, expected="40", present="35", in_favour="30"),
        files={"attachment": ("sheet.pdf", b"<html>not a pdf</html>", "application/pdf")},
    )
    assert response.status_code == 422
    assert (
        page_of(response).form.state.errors["attachment"]
        == "“sheet.pdf”未附上：附件只能是JPEG、PNG图片或PDF文件"
    )
    assert page_of(client.get(f"/matters/{matter_id}")).view.current_stage == "review"


def test_correction_shows_both_records(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    _review(client, matter_id)
    view = page_of(client.get(f"/matters/{matter_id}")).view
    original = next(s for s in view.stages if s.spec.key == "review").record
    url = f"/matters/{matter_id}/records/{original.id}/correct"
    form = page_of(client.get(url)).form
    assert form.correcting.id == original.id and form.state.values["present"] == "35"
    no_reason = client.post(
        url,
        data=_meeting(
            client, expected="40", present="36", in_favour="31", against="3", abstain="2"
        ),
    )
    assert no_reason.status_code == 409 and "reason" in page_of(no_reason).form.state.errors
    done = client.post(
        url,
        data=_meeting(
            client,
            expected="40",
            present="36",
            in_favour="31",
            against="3",
            abstain="2",
            reason="签到表漏记一人",
        ),
        follow_redirects=False,
    )
    assert done.status_code == 303
    response = client.get(f"/matters/{matter_id}")
    stage = next(s for s in page_of(response).view.stages if s.spec.key == "review")
    (chain,) = stage.attempts
    assert chain.current.attendance.present == 36 and chain.current.reason == "签到表漏记一人"
    assert [r.id for r in chain.superseded] == [original.id]
    html = soup(response)
    assert one(html, "#stage-review .correction-note").get_text().endswith("签到表漏记一人")
    assert html.select_one("#stage-review .superseded-version") is not None


def test_unknown_stage_and_matter_are_404(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    assert client.get(f"/matters/{matter_id}/stages/no_such_stage").status_code == 404
    missing = client.get("/matters/matter:330102001001:NOPE")
    assert missing.status_code == 404
    assert page_of(missing).message == "事项不存在"


def test_a_scan_added_later_never_replaces_one(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    view = page_of(client.get(f"/matters/{matter_id}")).view
    record = view.stages[0].record
    url = f"/matters/{matter_id}/records/{record.id}/attachments"
    for _ in range(2):
        added = client.post(
            url,
            data=form_token(client),
            files={"attachment": ("签到表.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert added.status_code == 303
    stored = page_of(client.get(f"/matters/{matter_id}")).view.stages[0].record
    assert [a.name for a in stored.attachments] == ["签到表-2.pdf", "签到表.pdf"]
    bad = client.post(
        url,
        data=form_token(client),
        files={"attachment": ("x.pdf", b"MZ\x90\x00", "application/pdf")},
    )
    assert bad.status_code == 422
    assert page_of(bad).message == "附件只能是JPEG、PNG图片或PDF文件"


def test_every_error_is_listed_at_the_top_of_the_form(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/resolution",
        data=_meeting(
            client,
            body="representatives",
            expected="30",
            present="25",
            in_favour="20",
            content="决议",
        ),
    )
    assert response.status_code == 409  # the review comes first: an error about no field shown
    summary = soup(response).select(".error-summary li")
    assert [li.get_text() for li in summary] == ["不能跳过阶段：请先完成“党员大会审议”"]


def test_a_named_vote_is_kept_and_shown_only_on_the_record(
    reviewed: tuple[TestClient, str],
) -> None:
    client, matter_id = reviewed
    named = {"voted_for": "张三、李四\n王五", "voted_against": "赵六", "voted_abstain": ""}
    # Counts left blank are taken from the names; counts that disagree are refused beside the list.
    refused = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(client, expected="5", present="4", in_favour="4", **named),
    )
    assert refused.status_code == 422
    assert "by_name" in page_of(refused).form.state.errors
    assert soup(refused).select_one("details.named-vote[open] [data-field='by_name']") is not None
    done = client.post(
        f"/matters/{matter_id}/stages/review",
        data=_meeting(client, expected="5", present="4", **named),
        follow_redirects=False,
    )
    assert done.status_code == 303, page_of(done).form.state.errors
    view = page_of(client.get(f"/matters/{matter_id}")).view
    vote = next(s for s in view.stages if s.spec.key == "review").record.vote
    assert (vote.in_favour, vote.against, vote.abstain) == (3, 1, 0)
    assert dict(vote.by_name) == {"张三": "for", "李四": "for", "王五": "for", "赵六": "against"}
    html = soup(client.get(f"/matters/{matter_id}"))
    shown = {
        li["data-choice"]: li.get_text()
        for li in html.select("#stage-review details.named-vote li")
    }
    assert shown == {"for": "赞成：张三、李四、王五", "against": "反对：赵六"}


def test_what_the_form_asks_comes_from_the_procedure(reviewed: tuple[TestClient, str]) -> None:
    """Township staff attend the review and the resolution; only a villagers' meeting counts
    adults or households (the domain says so, the template only asks)."""
    client, matter_id = reviewed
    review = client.get(f"/matters/{matter_id}/stages/review")
    assert page_of(review).form.bases == ()
    assert soup(review).select_one('input[name="township_staff"]') is not None
    assert soup(review).select_one('select[name="basis"]') is None
    _review(client, matter_id)
    client.cookies.set("lang", "en")
    resolution = client.get(f"/matters/{matter_id}/stages/resolution")
    assert page_of(resolution).form.bases == ("adults", "households", "members")
    options = soup(resolution).select('select[name="basis"] option')
    assert [o.get_text() for o in options] == [
        "villagers aged 18 and over",
        "household representatives",
        "Members",
    ]
    assert soup(resolution).select_one('input[name="township_staff"]') is not None
    legend = soup(resolution).select_one("legend")
    assert (
        legend is not None
        and legend.get_text().strip() == "4. Villagers' (representatives') resolution"
    )
