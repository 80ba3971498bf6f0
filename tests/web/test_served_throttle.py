"""The login throttle as ``village-app serve`` runs it: a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

import sync
from village_app import accounts
from village_app.commands.serve import server_config
from village_app.web import Settings, create_app
from web.helpers import PASSWORD, USERNAME, VILLAGE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _village(path: Path) -> None:
    db = await sync.open_database(str(path))
    try:
        await accounts.add_user(db, USERNAME, PASSWORD, village=VILLAGE)
    finally:
        await db.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    asyncio.run(_village(tmp_path / f"{VILLAGE}.sqlite"))
    port = _free_port()
    config = server_config(create_app(Settings(data_dir=tmp_path, login_max_failures=3)), "127.0.0.1", port)
    config.log_level = "warning"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # start-up, not a timing assertion
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def test_forwarded_for_does_not_reset_the_login_throttle(served: str) -> None:
    with httpx.Client(base_url=served) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        codes = [
            client.post(
                "/login",
                data={"username": USERNAME, "password": f"guess-{i}", "csrf_token": token.group(1)},
                headers={"X-Forwarded-For": f"10.0.0.{i}"},
            ).status_code
            for i in range(5)
        ]
    assert codes == [400, 400, 400, 429, 429]
