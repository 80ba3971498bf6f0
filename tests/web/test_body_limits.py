"""Request bodies before signing in: no larger than a login form, refused before they are
read; and any body that is slow or abandoned costs a bounded wait and one log line."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from village_app.web.settings import ANONYMOUS_MAX_BODY_BYTES
from web.helpers import USERNAME, ClientFactory, csrf_of, one, page_of, soup
from web.served import login_token, make_app, serving

_ANONYMOUS_413 = "未登录时提交的内容过多，未作处理。请先登录。"


def test_an_anonymous_body_larger_than_a_login_form_is_413(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    token = csrf_of(client)
    data = {"username": USERNAME, "password": "x" * ANONYMOUS_MAX_BODY_BYTES, "csrf_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == 413
    assert page_of(response).message == _ANONYMOUS_413
    assert one(soup(response), ".error-message h1").get_text() == "文件太大"


def test_an_anonymous_streamed_body_is_cut_off_at_a_login_form(make_client: ClientFactory) -> None:
    """No Content-Length: the count while reading stops it."""
    client = make_client(logged_in=False)
    csrf_of(client)  # a session with a token, as after opening the login page

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):
            yield b"x" * 1024

    response = client.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert page_of(response).message == _ANONYMOUS_413


def test_a_login_form_still_fits(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False)
    token = csrf_of(client)
    data = {
        "username": USERNAME,
        "password": "p" * 1000,
        "csrf_token": token,
        "next": "/" + "m" * 2000,
    }
    assert client.post("/login", data=data).status_code == 400  # read, checked, refused


def test_signed_in_bodies_keep_the_attachment_limit(client: TestClient) -> None:
    token = csrf_of(client, "/")
    data = {"lang": "en", "next": "/", "csrf_token": token, "padding": "x" * 200_000}
    assert client.post("/lang", data=data, follow_redirects=False).status_code == 303


# Real server: what is read off the socket, and when.


def _request_head(path: str, length: int, cookie: str = "") -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {length}",
        *([f"Cookie: {cookie}"] if cookie else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and the whole answer, read until the server closes the connection (the
    socket's timeout guards against a server that never answers; it is not a measurement)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return int(data.split(b" ", 2)[1]), data


def _connect(base: str) -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    return sock


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with serving(make_app(tmp_path)) as base:
        yield base


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[str]:
    """Served with 0.2 s for an anonymous body (the default is 10 s)."""
    with serving(make_app(tmp_path, anonymous_body_timeout_seconds=0.2)) as base:
        yield base


def _session_cookie(base: str) -> str:
    """A session that holds a CSRF token, as a browser's has after opening the login page."""
    with httpx.Client(base_url=base) as client:
        login_token(client)
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def test_an_anonymous_10_mb_post_is_refused_before_its_body_is_sent(served: str) -> None:
    with _connect(served) as sock:
        sock.sendall(_request_head("/login", 10 * 1024 * 1024, _session_cookie(served)))
        status, page = _answer(sock)  # not a byte of the body sent
    assert status == 413
    assert _ANONYMOUS_413.encode() in page


def test_a_post_from_a_session_without_a_csrf_token_is_refused_before_its_body_is_sent(
    served: str,
) -> None:
    with _connect(served) as sock:
        sock.sendall(_request_head("/login", 4000))  # no cookie: no session, no token
        status, _ = _answer(sock)
    assert status == 403


def test_an_anonymous_body_too_slow_to_arrive_is_408(impatient: str) -> None:
    with _connect(impatient) as sock:
        sock.sendall(_request_head("/login", 1000, _session_cookie(impatient)) + b"username=se")
        status, _ = _answer(sock)  # and the server closed the connection
    assert status == 408


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged at INFO and above while the test runs, uvicorn's own loggers (which
    do not propagate) included."""
    caplog.set_level(logging.INFO)
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        uvicorn_logger.removeHandler(caplog.handler)


def test_an_aborted_upload_is_one_log_line(served: str, logs: pytest.LogCaptureFixture) -> None:
    def gone() -> list[str]:
        return [r.getMessage() for r in logs.records if "went away" in r.getMessage()]

    cookie = _session_cookie(served)
    with _connect(served) as sock:
        sock.sendall(_request_head("/login", 4000, cookie) + b"username=secretary&password=")
    # The client is gone; wait for the server to have dealt with it (a guard, not a timing).
    deadline = time.monotonic() + 30
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.02)
    with httpx.Client(base_url=served) as client:
        assert client.get("/healthz").status_code == 200
    assert len(gone()) == 1
    assert gone()[0].startswith("client went away during POST /login after ")
    assert gone()[0].endswith(" bytes of its body (ClientDisconnect)")
    assert [r.getMessage() for r in logs.records if r.exc_info or r.levelno >= logging.ERROR] == []
