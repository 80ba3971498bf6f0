"""Dates at the edges: a time no record can hold is refused beside its field, with the reason,
on the stage form (plain and htmx) and the supervision form; numbers are ASCII digits only."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from web import villagedata
from web.helpers import ClientFactory, form_token, page_of

OUT_OF_RANGE = (
    "0001-01-01T00:00",
    "9999-12-31T23:59+00:00",
    "0001-01-01T00:00+14:00",
    "1899-12-31T10:00",
)


@pytest.fixture
def proposed(make_client: ClientFactory) -> tuple[TestClient, str]:
    made: dict[str, Any] = {}

    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        made["matter"] = await villagedata.major_matter(db)

    return make_client(setup=setup), made["matter"].id


def _proposal(client: TestClient, held_at: str, **extra: str) -> dict[str, str]:
    return {
        "body": "party_branch",
        "held_at": held_at,
        "place": "村委会议室",
        "expected": "7",
        "present": "6",
        "content": "提议",
        **extra,
        **form_token(client),
    }


@pytest.mark.parametrize("held_at", OUT_OF_RANGE)
def test_a_stage_time_out_of_range_is_refused_and_the_matter_page_still_works(
    proposed: tuple[TestClient, str], held_at: str
) -> None:
    client, matter_id = proposed
    response = client.post(f"/matters/{matter_id}/stages/proposal", data=_proposal(client, held_at))
    assert response.status_code == 422
    assert page_of(response).form.state.errors["held_at"].startswith("日期超出范围")
    htmx = client.post(
        f"/matters/{matter_id}/stages/proposal",
        data=_proposal(client, held_at),
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 422 and "日期超出范围" in htmx.text and "系统出错" not in htmx.text
    assert client.get(f"/matters/{matter_id}").status_code == 200
    assert (
        page_of(client.get(f"/matters/{matter_id}")).view.matter.stage == "proposal"
    )  # nothing stored


@pytest.mark.parametrize("noted_at", OUT_OF_RANGE)
def test_a_supervision_time_out_of_range_is_refused(
    proposed: tuple[TestClient, str], noted_at: str
) -> None:
    client, _ = proposed
    data = {
        "finding": "公开不及时",
        "recorded_by": villagedata.SUPERVISORS[0],
        "noted_at": noted_at,
        **form_token(client, "/supervision"),
    }
    response = client.post("/supervision", data=data)
    assert response.status_code == 422
    assert "日期超出范围" in response.text
    assert client.get("/supervision").status_code == 200


@pytest.mark.parametrize("digits", ["٦", "６", "6\u200b"])
def test_numbers_are_ascii_digits(proposed: tuple[TestClient, str], digits: str) -> None:
    client, matter_id = proposed
    response = client.post(
        f"/matters/{matter_id}/stages/proposal",
        data=_proposal(client, "2026-11-02T19:00", present=digits),
    )
    assert response.status_code == 422
    assert "present" in page_of(response).form.state.errors


@pytest.mark.parametrize("title", ["修路\x00", "\u202e路修"])
def test_control_and_direction_characters_are_refused(
    proposed: tuple[TestClient, str], title: str
) -> None:
    client, _ = proposed
    data = {
        "kind": "major",
        "title": title,
        "year": "2026",
        "summary": "x",
        **form_token(client, "/matters/new"),
    }
    response = client.post("/matters", data=data)
    assert response.status_code == 422
    assert page_of(response).form.errors["title"].startswith("含有不允许的字符")


def test_an_unknown_meeting_form_is_refused(proposed: tuple[TestClient, str]) -> None:
    client, matter_id = proposed
    response = client.post(
        f"/matters/{matter_id}/stages/proposal",
        data=_proposal(client, "2026-11-02T19:00", form="<b>foo</b>"),
    )
    assert response.status_code == 422
    assert "form" in page_of(response).form.state.errors


@pytest.mark.parametrize("path", ["/login", "/lang", "/matters"])
def test_lone_surrogates_are_a_clear_refusal_not_a_500(
    proposed: tuple[TestClient, str], path: str
) -> None:
    """A multipart body declared in charset=unicode_escape turns the text \\ud800 into a lone
    surrogate, which cannot be written back out as UTF-8."""
    client, _ = proposed
    token = form_token(client, "/matters/new")["csrf_token"]
    fields = {
        "csrf_token": token,
        "username": "a\\ud800",
        "password": "x",
        "lang": "\\ud800",
        "next": "/\\ud800",
        "kind": "major",
        "title": "\\ud800",
        "year": "2026",
    }
    body = (
        "".join(
            f'--XX\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        + "--XX--\r\n"
    )
    response = client.post(
        path,
        content=body.encode(),
        follow_redirects=False,
        headers={"content-type": "multipart/form-data; boundary=XX; charset=unicode_escape"},
    )
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    ("held_at", "says"),
    [("2030-01-01T19:00", "不能晚于今天"), ("1990-01-01T19:00", "不能早于本村记录开始")],
)
def test_an_implausible_meeting_date_is_refused_with_its_cause(
    proposed: tuple[TestClient, str], held_at: str, says: str
) -> None:
    client, matter_id = proposed
    response = client.post(f"/matters/{matter_id}/stages/proposal", data=_proposal(client, held_at))
    assert response.status_code == 422
    assert says in page_of(response).form.state.errors["held_at"]


def test_a_future_ceremony_names_the_date_not_the_registrar(make_client: ClientFactory) -> None:
    import datetime as dt

    from village_app.domain import BodyKind, Member

    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        await villagedata.store(db).add_member(
            Member(
                BodyKind.WEDDINGS_FUNERALS_COUNCIL,
                "田理事",
                "理事长",
                dt.date(2024, 1, 1),
                convenor=True,
            )
        )

    client = make_client(setup=setup)
    data = {
        "kind": "wedding",
        "family": "张家",
        "held_on": "2030-05-01",
        "tables": "12",
        "gift": "200",
        "registered_by": "田理事",
        **form_token(client, "/ceremonies"),
    }
    response = client.post("/ceremonies", data=data)
    assert response.status_code == 422
    assert "不能晚于今天" in response.text and "不是红白理事会的在任成员" not in response.text


def test_a_field_over_the_parser_limit_says_too_long(proposed: tuple[TestClient, str]) -> None:
    """Over 1 MB in one field: 内容过长 (413), not 页面已过期 (403) or the parser's English."""
    client, _ = proposed
    token = form_token(client, "/matters/new")
    big = "修" * 400_000  # 1.2 MB in UTF-8
    plain = client.post(
        "/matters", files={"title": (None, big), "csrf_token": (None, token["csrf_token"])}
    )
    assert plain.status_code == 413 and "内容过长" in plain.text
    htmx = client.post(
        "/matters",
        files={"title": (None, big)},
        headers={"X-CSRF-Token": token["csrf_token"], "HX-Request": "true"},
    )
    assert htmx.status_code == 413 and "内容过长" in htmx.text and "maximum size" not in htmx.text
