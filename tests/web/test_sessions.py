"""Logout ends the session for good, not just in the browser that logged out."""

from __future__ import annotations

from starlette.testclient import TestClient

from village_app.web import Settings, create_app
from village_app.web.state import app_state
from web.helpers import ClientFactory, csrf_of, log_in

COOKIE = "cunyi_session"


def _log_out(client: TestClient) -> None:
    response = client.post(
        "/logout", data={"csrf_token": csrf_of(client, "/")}, follow_redirects=False
    )
    assert response.status_code == 303


def _get_with(client: TestClient, cookie: str, path: str = "/") -> int:
    client.cookies.clear()
    return client.get(
        path, headers={"Cookie": f"{COOKIE}={cookie}"}, follow_redirects=False
    ).status_code


def test_a_copy_of_the_cookie_is_refused_after_logout(make_client: ClientFactory) -> None:
    client = make_client()
    copy = client.cookies[COOKIE]
    _log_out(client)
    assert _get_with(client, copy) == 303  # to the login page
    assert _get_with(client, copy, "/matters") == 303


def test_logout_ends_only_that_session(make_client: ClientFactory) -> None:
    client = make_client()
    other = client.cookies[COOKIE]
    client.cookies.clear()
    assert log_in(client).status_code == 303
    _log_out(client)
    assert _get_with(client, other) == 200


def test_an_ended_session_stays_ended_after_a_restart(make_client: ClientFactory) -> None:
    client = make_client()
    copy = client.cookies[COOKIE]
    _log_out(client)
    settings: Settings = app_state(client.app).settings  # type: ignore[arg-type]
    with TestClient(create_app(settings), base_url="http://testserver") as restarted:
        assert _get_with(restarted, copy) == 303


def test_login_starts_a_fresh_session_and_token(make_client: ClientFactory) -> None:
    """A session (and its CSRF token) planted before login is worthless after it."""
    client = make_client(logged_in=False)
    before_token = csrf_of(client)
    before_cookie = client.cookies[COOKIE]
    assert log_in(client).status_code == 303
    assert client.cookies[COOKIE] != before_cookie
    after = client.post(
        "/lang",
        data={"lang": "en", "next": "/", "csrf_token": before_token},
        follow_redirects=False,
    )
    assert after.status_code == 403
    assert csrf_of(client, "/") != before_token
