from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from village_app.web.state import app_state
from web.helpers import ClientFactory, attr, csrf_of, one, soup


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_unsafe_request_without_the_right_csrf_token_is_403(
    client: TestClient, token: str | None
) -> None:
    data = {"lang": "en", "next": "/"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/lang", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert response.context["page"].status == 403  # type: ignore[attr-defined]
    assert one(soup(response), ".error-message h1").get_text() == "请求被拒绝"
    assert "lang" not in response.cookies


def test_csrf_header_is_accepted_for_htmx(client: TestClient) -> None:
    token = csrf_of(client, "/")
    response = client.post(
        "/lang",
        data={"lang": "en", "next": "/"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_forged_csrf_header_is_403(client: TestClient) -> None:
    response = client.post("/lang", data={"lang": "en"}, headers={"X-CSRF-Token": "nope"})
    assert response.status_code == 403


def test_csrf_token_of_another_session_is_refused(make_client: ClientFactory) -> None:
    first, second = make_client(), make_client()
    token = csrf_of(first, "/")
    assert second.post("/lang", data={"lang": "en", "csrf_token": token}).status_code == 403


def test_body_over_the_limit_is_413_before_reading(client: TestClient) -> None:
    token = csrf_of(client, "/")
    limit = app_state(client.app).settings.max_body_bytes  # type: ignore[arg-type]
    response = client.post(
        "/lang",
        files={"file": ("scan.pdf", b"%PDF-" + b"0" * limit, "application/pdf")},
        data={"csrf_token": token},
    )
    assert response.status_code == 413
    assert one(soup(response), ".error-message h1").get_text() == "文件太大"


def test_streamed_body_over_the_limit_is_cut_off(client: TestClient) -> None:
    """No Content-Length: the count while reading stops it."""
    token = csrf_of(client, "/")
    limit = app_state(client.app).settings.max_body_bytes  # type: ignore[arg-type]

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = client.post(
        "/lang",
        content=chunks(),
        headers={"X-CSRF-Token": token, "content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 413


def test_unknown_page_is_a_chinese_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.context["page"].title == "找不到页面"  # type: ignore[attr-defined]
    assert attr(one(soup(response), "html"), "lang") == "zh-CN"


def test_pages_forbid_inline_script_and_framing(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    html = soup(response)
    assert not [s for s in html.find_all("script") if not s.get("src")]
    assert not [tag for tag in html.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
