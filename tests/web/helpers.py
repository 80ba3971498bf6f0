"""Helpers shared by the web tests (constants, HTML parsing, logging in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup, Tag
from starlette.testclient import TestClient

VILLAGE = "330102001001"
USERNAME = "secretary"
PASSWORD = "correct-horse-battery"


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def one(node: Tag, css: str) -> Tag:
    """The first element under `node` that the CSS selector `css` matches; the test fails,
    naming the selector, when there is none."""
    found = node.select_one(css)
    assert found is not None, f"no element matches {css!r}"
    return found


def attr(tag: Tag, name: str) -> str:
    """The value of `tag`'s attribute `name` as one string (bs4 types any attribute as possibly
    a list of values, as it parses `class`); the test fails when it is missing or a list."""
    value = tag.get(name)
    assert value is not None, f"<{tag.name}> has no attribute {name!r}"
    assert isinstance(value, str), f"<{tag.name}> attribute {name!r} is a list of values: {value!r}"
    return value


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


def page_of(response: Any) -> Any:
    """The page dataclass a handler rendered (Starlette keeps the template context)."""
    return response.context["page"]


def form_token(client: TestClient, path: str = "/") -> dict[str, str]:
    return {"csrf_token": csrf_of(client, path)}


# A tiny but real PDF and PNG (content is what counts, not the file name).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
