"""Password hashes run off the event loop, a bounded number at a time, on a real server.

Each hash is held at a gate until the test opens it, so what is asserted is an order of
events (the health check answers while hashes are held; how many entered), never a time.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from village_app import accounts
from village_app.web.state import app_state
from web.served import login_token, make_app, serving

_GUARD = 30  # seconds before a test gives up on an event that should have happened


class _Gate:
    """Stands in for the hash: counts the hashes that started, holds each until opened."""

    def __init__(self, real: Callable[[bytes, bytes, int, int, int], bytes]) -> None:
        self._real = real
        self._changed = threading.Condition()
        self._open = threading.Event()
        self.entered = 0

    def __call__(self, password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
        with self._changed:
            self.entered += 1
            self._changed.notify_all()
        self._open.wait(_GUARD)
        return self._real(password, salt, n, r, p)

    def wait_for_entered(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.entered >= count, _GUARD)

    def open(self) -> None:
        self._open.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Gate]:
    """The hash, held; in place once the test's app is made (making its account hashes)."""
    gate = _Gate(accounts._scrypt)
    try:
        yield gate
    finally:
        gate.open()  # whatever happened, let the server finish its requests and stop


def _app(
    tmp_path: Path, gate: _Gate, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> Starlette:
    app = make_app(tmp_path, **settings)
    monkeypatch.setattr(accounts, "_scrypt", gate)
    return app


def _logins(base: str, count: int) -> tuple[ThreadPoolExecutor, list[Future[httpx.Response]]]:
    """``count`` logins with made-up names, sent at once from one session."""
    with httpx.Client(base_url=base) as client:
        token = login_token(client)
        cookies = client.cookies

    def attempt() -> httpx.Response:
        data = {
            "username": f"guess-{secrets.token_hex(4)}",
            "password": "wrong-password",
            "csrf_token": token,
        }
        with httpx.Client(base_url=base, cookies=cookies, timeout=_GUARD * 2) as client:
            return client.post("/login", data=data)

    pool = ThreadPoolExecutor(count)
    return pool, [pool.submit(attempt) for _ in range(count)]


def _waiting(app: Starlette) -> int:
    return int(app_state(app).password_hashing.limiter.statistics().tasks_waiting)


def test_the_server_answers_while_logins_are_hashed(
    tmp_path: Path, gate: _Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path, gate, monkeypatch, login_hash_threads=2, login_hash_queue=16)
    with serving(app) as base:
        pool, futures = _logins(base, 5)
        with pool:
            assert gate.wait_for_entered(2), "the hashes did not start"
            # The other three wait for a thread, in the app's queue (a guard, not a timing).
            deadline = time.monotonic() + _GUARD
            while _waiting(app) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _waiting(app) == 3
            with httpx.Client(base_url=base, timeout=_GUARD) as client:
                assert client.get("/healthz").status_code == 200
            assert gate.entered == 2  # still held, and never more than two at once
            gate.open()
            assert sorted(f.result().status_code for f in futures) == [400] * 5
        assert gate.entered == 5  # every name, real or not, cost a hash


def test_logins_beyond_the_queue_are_turned_away_at_once(
    tmp_path: Path, gate: _Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path, gate, monkeypatch, login_hash_threads=1, login_hash_queue=2)
    with serving(app) as base:
        pool, futures = _logins(base, 5)
        with pool:
            # One hash held, two logins queued behind it: the other two are answered now.
            answered = as_completed(futures, timeout=_GUARD)
            first_two = [next(answered).result(), next(answered).result()]
            assert [r.status_code for r in first_two] == [503, 503]
            assert all(r.headers["retry-after"] == "1" for r in first_two)
            assert "同时登录的人太多，请稍后再试。" in first_two[0].text
            assert gate.entered == 1
            gate.open()
            assert sorted(f.result().status_code for f in futures) == [400, 400, 400, 503, 503]
        assert gate.entered == 3
