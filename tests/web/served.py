"""The app as ``village-app serve`` runs it, for tests that need a real server: uvicorn on
127.0.0.1 in a thread of the test process (so a test can still reach into the app), with
``serve``'s own uvicorn settings."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

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


def make_app(data_dir: Path, **settings: Any) -> Starlette:
    """An app over a village with the test secretary's account."""
    asyncio.run(_village(data_dir / f"{VILLAGE}.sqlite"))
    return create_app(Settings(data_dir=data_dir, **settings))


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The base URL of ``app`` served by uvicorn until the block ends."""
    port = _free_port()
    config = server_config(app, "127.0.0.1", port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # start-up, not a timing assertion
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def login_token(client: httpx.Client) -> str:
    """The CSRF token of the login form (the client keeps the session cookie it came with)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    return token.group(1)
