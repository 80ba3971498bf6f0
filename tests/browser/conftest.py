"""Browser fixtures: a real ``village-app serve`` (uvicorn) on a free port, over a data folder
made for the session, and headless Debian Chromium driven by Playwright's sync API.

Playwright cannot download its own browsers here, so it is pointed at /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from web import villagedata
from web.helpers import PASSWORD, USERNAME, VILLAGE

import sync
from village_app import accounts

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Prepare = Callable[[sync.Database], Awaitable[None]]


async def _prepare(data_dir: Path, base: Prepare, extra: Prepare | None) -> None:
    db = await sync.open_database(str(data_dir / f"{VILLAGE}.sqlite"))
    try:
        await accounts.add_user(db, USERNAME, PASSWORD, village=VILLAGE)
        await base(db)
        if extra is not None:
            await extra(db)
    finally:
        await db.close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The small village (or the module's ``base_village(db)``), plus what the test module's
    ``prepare_village(db)`` adds."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    base = getattr(request.module, "base_village", villagedata.small_village)
    extra = getattr(request.module, "prepare_village", None)
    # Playwright's sync API keeps an event loop running in this thread: prepare in another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _prepare(data_dir, base, extra)).result()
    with serving(["--data", str(data_dir)], tmp_path_factory.getbasetemp()) as url:
        yield url


@contextlib.contextmanager
def serving(arguments: list[str], logs: Path) -> Iterator[str]:
    """``village-app serve ARGUMENTS`` on a free port of 127.0.0.1 (its output in ``logs``),
    until the block ends; the base URL, once it answers."""
    port = _free_port()
    log = (logs / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "village_app.cli", "serve", *arguments, "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"village-app serve exited with {proc.returncode}")
            time.sleep(0.1)
        else:
            raise RuntimeError("village-app serve did not answer in 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests (each test gets a context of its own, see ``page``);
    package-scoped, so that Playwright's event loop is gone before the other suites run."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) on a 1366x768 laptop screen."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=server
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    refused: list[str] = []
    tab.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    yield tab
    context.close()
    assert refused == []  # the pages need nothing the policy forbids


@pytest.fixture(scope="session")
def shots(output_dir: Path) -> Path:
    path = output_dir / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path
