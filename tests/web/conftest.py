"""One client factory for the handler tests: a real app over a real embedded store in a
temporary data folder, driven by Starlette's TestClient (httpx)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import sync
from village_app import accounts
from village_app.web import Settings, create_app
from web.helpers import PASSWORD, USERNAME, VILLAGE, ClientFactory, log_in


async def _make_village(path: Path, setup: Callable[[sync.Database], Any] | None) -> None:
    db = await sync.open_database(str(path))
    try:
        await accounts.add_user(db, USERNAME, PASSWORD, village=path.stem)
        if setup is not None:
            await setup(db)
    finally:
        await db.close()


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """``make_client(village=True, logged_in=True, setup=None, **settings)``: a started app.

    ``setup`` is an async function given the village database before the app opens it
    (to load records the test needs)."""
    clients: list[TestClient] = []

    def factory(
        *,
        village: bool = True,
        logged_in: bool = True,
        setup: Callable[[sync.Database], Any] | None = None,
        **overrides: Any,
    ) -> TestClient:
        data_dir = tmp_path / f"data{len(clients)}"
        data_dir.mkdir()
        if village:
            asyncio.run(_make_village(data_dir / f"{VILLAGE}.sqlite", setup))
        settings = Settings(data_dir=data_dir, **overrides)
        client = TestClient(create_app(settings), base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        if logged_in:
            assert log_in(client).status_code == 303
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """A secretary logged in to a village with no records yet."""
    return make_client()
