from __future__ import annotations

from starlette.testclient import TestClient

from village_app.web.pages.auth import LoginPage, safe_next
from web.helpers import PASSWORD, USERNAME, ClientFactory, csrf_of, log_in, one, soup


def test_every_page_but_login_needs_a_session(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/login?next=%2F")
    assert client.get("/static/app.css").status_code == 200


def test_htmx_request_without_session_is_sent_to_login(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].endswith("/login")


def test_login_page_context_and_form(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = client.get("/login?next=/matters")
    assert response.template.name == "login.html"  # type: ignore[attr-defined]
    page = response.context["page"]  # type: ignore[attr-defined]
    assert page == LoginPage(next="/matters", village_ready=True)
    form = soup(response).find("form", attrs={"action": "/login"})
    assert form is not None and form.find("input", attrs={"name": "password", "type": "password"})


def test_login_then_logout(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200
    token = csrf_of(client, "/")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_with_a_chinese_message(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = log_in(client, password="not-the-password")
    assert response.status_code == 400
    assert response.context["page"].error == "用户名或密码不正确。"
    assert one(soup(response), "#login-error").get_text() == "用户名或密码不正确。"


def test_unknown_user_is_refused_the_same_way(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = log_in(client, username="nobody")
    assert response.status_code == 400
    assert response.context["page"].error == "用户名或密码不正确。"


def test_login_is_throttled_per_name(make_client: ClientFactory) -> None:
    client = make_client(
        logged_in=False,
        login_max_failures=3,
        login_first_delay_seconds=600,
        login_max_delay_seconds=600,
    )
    for _ in range(3):
        assert log_in(client, password="wrong-password").status_code == 400
    locked = log_in(client)  # even the right password waits now
    assert locked.status_code == 429
    assert locked.headers["retry-after"] in {"599", "600"}
    message = one(soup(locked), "#login-error").get_text()
    assert message == "登录失败次数过多，请 10 分钟后再试。"
    # Another username is not locked.
    assert log_in(client, username="someone-else", password="x" * 10).status_code == 400


def test_a_short_wait_is_not_announced_in_minutes(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False, login_max_failures=1, login_first_delay_seconds=50)
    assert log_in(client, password="wrong-password").status_code == 400
    locked = log_in(client)
    assert locked.status_code == 429
    message = one(soup(locked), "#login-error").get_text()
    assert message == "登录失败次数过多，请稍等片刻再试。"


def test_login_redirects_only_within_the_site(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
    assert safe_next("/matters?stage=3") == "/matters?stage=3"
    assert safe_next("https://evil.example") == "/"
    assert safe_next("/\\evil.example") == "/"


def test_session_cookie_flags(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    response = log_in(client)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_login_page_says_when_there_is_no_village(make_client: ClientFactory) -> None:
    client: TestClient = make_client(village=False, logged_in=False)
    response = client.get("/login")
    assert response.context["page"].village_ready is False  # type: ignore[attr-defined]
    assert log_in(client).status_code == 400
