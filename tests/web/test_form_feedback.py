"""Issue 9 point 1, at the handlers: every error of a form at once, beside its field and in the
summary (which takes the focus); the form keeps its idempotency key when it comes back; what was
saved is the record the next page highlights."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup


@pytest.fixture
def reviewed(make_client: ClientFactory) -> tuple[TestClient, str]:
    made: dict[str, Any] = {}

    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        made["matter"] = await villagedata.through_consultation(db)

    return make_client(setup=setup), made["matter"].id


def test_every_error_of_a_stage_form_at_once(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    key = "01JB0000000000000000000000"
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data={
            "held_at": "",  # missing
            "expected": "四十",  # not a number
            "present": "35",
            "in_favour": "",  # no vote at all
            "content": "x" * 20_001,  # too long for any field
            "form_key": key,
            **form_token(client),
        },
    )
    assert response.status_code == 422
    errors = page_of(response).form.state.errors
    assert set(errors) == {"held_at", "expected", "in_favour", "content"}, errors
    html = soup(response)
    summary = one(html, "form#stage-form-review .error-summary")
    assert summary.has_attr("autofocus") and attr(summary, "tabindex") == "-1"
    assert len(summary.select("li")) == 4
    assert "4 处" in summary.get_text()
    for field in errors:
        assert one(html, f'.field-error[data-field="{field}"]').get_text().strip()
    # Nothing was saved under the form's key: the form comes back with it.
    assert attr(one(html, 'form#stage-form-review input[name="form_key"]'), "value") == key


def test_the_saved_record_is_highlighted_once(reviewed: tuple[TestClient, str]) -> None:
    client, matter_id = reviewed
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data={
            "held_at": "2026-11-10T19:00",
            "expected": "40",
            "present": "35",
            "in_favour": "30",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert f"/matters/{matter_id}#record-" in location
    record_id = location.split("#record-", 1)[1]
    page = client.get(location)
    assert page_of(page).saved == record_id
    article = one(soup(page), f'article[data-record="{record_id}"]')
    assert "just-saved" in (article.get_attribute_list("class") or [])
    assert article.has_attr("autofocus")
    assert "下一步：“村民会议或村民代表会议决议”" in one(article, ".saved-note").get_text()
    again = client.get(f"/matters/{matter_id}")
    assert page_of(again).saved == "" and not soup(again).select(".just-saved")


def test_a_new_matter_says_it_was_saved_and_what_comes_next(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    response = client.post(
        "/matters", data={"kind": "major", "title": "修水渠", **form_token(client)}
    )
    banner = one(soup(response), "#saved-matter")
    assert banner.has_attr("autofocus")
    assert "下一步：“党支部会提议”" in banner.get_text()


def test_every_error_of_a_new_matter_at_once(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    response = client.post(
        "/matters",
        data={"kind": "council", "title": "", "year": "1999", **form_token(client)},
    )
    assert response.status_code == 422
    assert set(page_of(response).form.errors) == {"title", "body", "year"}
