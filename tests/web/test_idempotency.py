"""A form submitted twice, or five times at once, makes one record: each rendered form carries
an idempotency key, and a repeat of a key answers with what the first submission made."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from village_app.web.state import app_state
from web import villagedata
from web.helpers import ClientFactory, soup


def _form(client: TestClient, path: str) -> dict[str, str]:
    """The hidden fields of the page's first form that creates something (CSRF token and
    idempotency key)."""
    form = soup(client.get(path)).select_one(
        "form[method=post]:has(input[name=form_key]):not([action$=logout])"
    )
    assert form is not None
    return {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}


def _at_once(client: TestClient, path: str, data: dict[str, str], times: int) -> list[Any]:
    with ThreadPoolExecutor(times) as pool:
        return list(
            pool.map(lambda _: client.post(path, data=data, follow_redirects=False), range(times))
        )


def _count(client: TestClient, doc_type: str) -> int:
    db = app_state(client.app).db  # type: ignore[arg-type]
    assert db is not None

    async def count() -> int:
        return len((await db.find({"type": doc_type}))["docs"])

    result: int = client.portal.call(count)  # type: ignore[union-attr]
    return result


@pytest.mark.parametrize("times", [5, 40])
def test_concurrent_identical_proposals_store_one_record(
    make_client: ClientFactory, times: int
) -> None:
    client = make_client(setup=villagedata.small_village)
    db = app_state(client.app).db  # type: ignore[arg-type]
    assert db is not None
    matter = client.portal.call(villagedata.major_matter, db)  # type: ignore[union-attr]
    path = f"/matters/{matter.id}/stages/proposal"
    hidden = _form(client, f"/matters/{matter.id}")
    data = {
        **hidden,
        "body": "party_branch",
        "held_at": "2026-11-02T19:00",
        "place": "村委会议室",
        "expected": "7",
        "present": "6",
        "content": "提议修路",
    }
    answers = _at_once(client, path, data, times)
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    assert _count(client, "stage_record") == 1
    again = client.post(path, data=data, follow_redirects=False)  # a reload of the POST
    assert again.status_code == 303 and _count(client, "stage_record") == 1


def test_concurrent_identical_matter_creates_make_one_matter(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    hidden = _form(client, "/matters/new")
    data = {**hidden, "kind": "major", "title": "修建村西水渠", "year": "2026", "summary": "x"}
    answers = _at_once(client, "/matters", data, 3)
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    assert _count(client, "matter") == 1
    # A new rendering of the form is a new key: a second matter is a second matter.
    fresh = {**data, **_form(client, "/matters/new")}
    assert client.post("/matters", data=fresh, follow_redirects=False).status_code == 303
    assert _count(client, "matter") == 2
