"""Helpers shared by the web tests (constants, HTML parsing, logging in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup
from starlette.testclient import TestClient

VILLAGE = "330102001001"
USERNAME = "secretary"
PASSWORD = "correct-horse-battery"


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands out (hidden field of its forms)."""
    field = soup(client.get(path)).find("input", attrs={"name": "csrf_token"})
    assert field is not None
    return str(field["value"])


def log_in(client: TestClient, username: str = USERNAME, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


ClientFactory = Callable[..., TestClient]
