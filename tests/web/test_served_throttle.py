"""The login throttle as ``village-app serve`` runs it: a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from web.helpers import USERNAME
from web.served import login_token, make_app, serving


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    # A first wait of ten minutes: the refusals below cannot depend on how fast the test runs.
    app = make_app(tmp_path, login_max_failures=3, login_first_delay_seconds=600)
    with serving(app) as base:
        yield base


def test_forwarded_for_does_not_reset_the_login_throttle(served: str) -> None:
    with httpx.Client(base_url=served) as client:
        token = login_token(client)
        codes = [
            client.post(
                "/login",
                data={"username": USERNAME, "password": f"guess-{i}", "csrf_token": token},
                headers={"X-Forwarded-For": f"10.0.0.{i}"},
            ).status_code
            for i in range(5)
        ]
    assert codes == [400, 400, 400, 429, 429]


def test_a_name_is_throttled_whatever_address_the_guesses_come_from(served: str) -> None:
    """A local process may connect from any 127.x address; the name waits all the same."""
    with httpx.Client(base_url=served) as first:
        token = login_token(first)
        cookies = first.cookies
    codes = []
    for i in range(2, 7):
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{i}")
        with httpx.Client(base_url=served, transport=transport, cookies=cookies) as client:
            data = {"username": USERNAME, "password": f"guess-{i}", "csrf_token": token}
            codes.append(client.post("/login", data=data).status_code)
    assert codes == [400, 400, 400, 429, 429]
