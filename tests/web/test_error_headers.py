"""Error pages carry the headers every page has: CSP, no framing, nosniff, no-store."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from village_app.web import Settings, create_app
from village_app.web.security.permissions import PUBLIC, route
from web.helpers import ClientFactory

EXPECTED = ("content-security-policy", "x-frame-options", "x-content-type-options", "cache-control")


def _has_all(response: object) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    return [h for h in EXPECTED if h not in headers]


def test_a_500_page_has_the_security_headers(tmp_path: object) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = create_app(Settings(data_dir=tmp_path))  # type: ignore[arg-type]
    app.router.routes.append(route("/broken", broken, name="broken", access=PUBLIC))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500 and "系统出错" in response.text
    assert _has_all(response) == []
    assert response.headers["cache-control"] == "no-store"


def test_refusals_before_routing_have_them_too(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False, allowed_hosts=("127.0.0.1",))
    wrong_host = client.get("/login", headers={"host": "evil.example"})
    assert wrong_host.status_code == 400 and _has_all(wrong_host) == []
    assert _has_all(client.get("/no-such-page")) == []
    assert _has_all(client.post("/matters", data={})) == []  # no CSRF token: 403
