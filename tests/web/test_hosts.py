"""DNS rebinding: ``serve`` on loopback answers only to loopback names."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from village_app.commands.serve import allowed_hosts
from web.helpers import ClientFactory, log_in


@pytest.mark.parametrize("bind", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_binds_allow_only_loopback_names(bind: str) -> None:
    assert "localhost" in allowed_hosts(bind) and "*" not in allowed_hosts(bind)


def test_lan_binds_allow_any_name() -> None:
    assert allowed_hosts("0.0.0.0") == ("*",)
    assert allowed_hosts("192.168.1.20") == ("*",)


def test_a_rebound_name_is_refused(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False, allowed_hosts=allowed_hosts("127.0.0.1"))
    assert client.get("/login", headers={"Host": "attacker.example:8000"}).status_code == 400
    assert client.get("/login", headers={"Host": "127.0.0.1.attacker.example"}).status_code == 400
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000"):
        local = TestClient(client.app, base_url=f"http://{host}")
        assert local.get("/login").status_code == 200, host
        assert log_in(local).status_code == 303, host
