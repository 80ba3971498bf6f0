from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from village_app.domain import ROSTER_BODIES
from web import villagedata
from web.helpers import ClientFactory, attr, csrf_of, one, soup


def test_language_switch_sets_a_cookie_and_the_page_follows(client: TestClient) -> None:
    token = csrf_of(client, "/")
    response = client.post(
        "/lang", data={"lang": "en", "next": "/", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert response.cookies["lang"] == "en"
    page = client.get("/")
    assert page.context["locale"] == "en"  # type: ignore[attr-defined]
    assert attr(one(soup(page), "html"), "lang") == "en"
    assert one(soup(page), ".brand").get_text() == "Cunyi"
    client.post("/lang", data={"lang": "zh_CN", "next": "/", "csrf_token": token})
    back = client.get("/")
    assert attr(one(soup(back), "html"), "lang") == "zh-CN"
    assert one(soup(back), ".brand").get_text() == "村议"


def test_unknown_language_falls_back_to_chinese(client: TestClient) -> None:
    token = csrf_of(client, "/")
    response = client.post(
        "/lang", data={"lang": "xx", "csrf_token": token}, follow_redirects=False
    )
    assert response.cookies["lang"] == "zh_CN"


def test_every_page_renders_in_both_languages(make_client: ClientFactory) -> None:
    made: dict[str, Any] = {}

    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        made["matter"] = await villagedata.through_consultation(db)

    client = make_client(setup=setup)
    matter_id = made["matter"].id
    pages = [
        "/",
        "/councils",
        "/matters",
        "/matters/new",
        "/supervision",
        "/ceremonies",
        f"/matters/{matter_id}",
        f"/matters/{matter_id}/edit",
        f"/matters/{matter_id}/conflicts",
        f"/matters/{matter_id}/stages/review",
        *(f"/councils/{kind}" for kind in ROSTER_BODIES),
        "/councils/residents_council/conflicts",
    ]
    for lang in ("en", "zh_CN"):
        client.post("/lang", data={"lang": lang, "next": "/", "csrf_token": csrf_of(client, "/")})
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (lang, path)
            assert response.context["locale"] == lang  # type: ignore[attr-defined]
