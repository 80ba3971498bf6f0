from __future__ import annotations

from starlette.testclient import TestClient

from web.helpers import csrf_of, soup


def test_language_switch_sets_a_cookie_and_the_page_follows(client: TestClient) -> None:
    token = csrf_of(client, "/")
    response = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert response.cookies["lang"] == "en"
    page = client.get("/")
    assert page.context["locale"] == "en"  # type: ignore[attr-defined]
    assert soup(page).find("html")["lang"] == "en"
    assert soup(page).select_one(".brand").get_text() == "Cunyi"
    client.post("/lang", data={"lang": "zh_CN", "next": "/", "csrf_token": token})
    back = client.get("/")
    assert soup(back).find("html")["lang"] == "zh-CN"
    assert soup(back).select_one(".brand").get_text() == "村议"


def test_unknown_language_falls_back_to_chinese(client: TestClient) -> None:
    token = csrf_of(client, "/")
    response = client.post("/lang", data={"lang": "xx", "csrf_token": token}, follow_redirects=False)
    assert response.cookies["lang"] == "zh_CN"
