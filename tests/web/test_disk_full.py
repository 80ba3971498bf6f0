"""A full disk: the write is refused with 磁盘已满 (not a 500 hiding the cause), nothing is half
written, logout still signs the browser out, and the demo is never left half loaded."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import sync
from sync.errors import StorageFullError
from village_app import demo
from village_app.web.state import app_state
from web import villagedata
from web.helpers import ClientFactory, form_token


def _fill_up(db: Any) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), as a full disk gives it: the
    file may not grow past the pages it has."""
    db.conn.execute(
        "PRAGMA max_page_count = " + str(db.conn.execute("PRAGMA page_count").fetchone()[0])
    )


def test_a_save_on_a_full_disk_says_so_and_keeps_nothing(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    db = app_state(client.app).db  # type: ignore[arg-type]
    assert db is not None

    async def fill() -> None:
        await db._run(_fill_up, db)  # type: ignore[attr-defined]

    client.portal.call(fill)  # type: ignore[union-attr]
    big = "村道硬化。" * 3000  # a page or two more than the file has room for
    data = {
        "kind": "major",
        "title": "修建村西水渠",
        "year": "2026",
        "summary": big,
        **form_token(client, "/matters/new"),
    }
    response = client.post("/matters", data=data, follow_redirects=False)
    assert response.status_code == 507
    assert "磁盘已满" in response.text and "no transaction" not in response.text
    assert client.get("/matters").status_code == 200
    assert "修建村西水渠" not in client.get("/matters").text
    logout = client.post("/logout", data=form_token(client), follow_redirects=False)
    assert logout.status_code in (303, 507)
    assert client.get("/", follow_redirects=False).status_code == 303  # signed out either way


async def test_the_store_names_a_full_disk(tmp_path: Path) -> None:
    db = await sync.open_database(str(tmp_path / "full.sqlite"))
    try:
        await db._run(_fill_up, db)  # type: ignore[attr-defined]
        with pytest.raises(StorageFullError):
            await db.put({"_id": "x", "text": "字" * 50_000})
        with pytest.raises(sync.errors.NotFoundError):
            await db.get("x")
        assert await db.put({"_id": "small"})  # what fits is still written
    finally:
        await db.close()


async def test_the_demo_is_never_left_half_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = sync.open_database

    async def small_disk(path: str, **kw: Any) -> Any:
        db = await real_open(path, **kw)
        await db._run(lambda: db.conn.execute("PRAGMA max_page_count = 40"))  # type: ignore[attr-defined]
        return db

    monkeypatch.setattr(sync, "open_database", small_disk)
    with pytest.raises(demo.DemoError, match="disk"):
        await demo.load_demo(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no village file, no leftovers
    monkeypatch.setattr(sync, "open_database", real_open)
    result = await demo.load_demo(tmp_path)
    assert result.loaded and result.path.exists()
    assert sqlite3.connect(result.path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
