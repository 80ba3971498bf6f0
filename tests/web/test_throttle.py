"""The login throttle's memory stays bounded however many made-up names are tried."""

from __future__ import annotations

from village_app.web.security.throttle import LoginThrottle


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_huge_username_is_not_kept_whole() -> None:
    throttle = LoginThrottle(max_failures=2)
    name = "x" * 1_000_000
    throttle.failed(name, "127.0.0.1")
    throttle.failed(name, "127.0.0.1")
    assert throttle.wait_seconds(name, "127.0.0.1") > 0  # still throttled
    assert sum(len(user) + len(address) for user, address in throttle._records) < 1000


def test_a_flood_of_names_keeps_the_table_bounded_and_recent_failures_counted() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=2, window_seconds=60, clock=clock, max_records=100)
    throttle.failed("secretary", "10.0.0.9")
    throttle.failed("secretary", "10.0.0.9")
    clock.now += 61  # the secretary's failures expire; the flood comes after
    for i in range(1000):
        throttle.failed(f"made-up-{i}", "10.0.0.9")
    assert len(throttle._records) <= 100
    assert throttle.wait_seconds("made-up-999", "10.0.0.9") == 0  # one failure only
    throttle.failed("made-up-999", "10.0.0.9")
    assert throttle.wait_seconds("made-up-999", "10.0.0.9") > 0
