"""The login throttle: a growing, capped wait per name, and bounded memory however many
made-up names are tried. A fake clock: nothing here waits."""

from __future__ import annotations

from village_app.web.security.throttle import LoginThrottle


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _waits(throttle: LoginThrottle, clock: _Clock, name: str, failures: int) -> list[float]:
    """The wait after each of ``failures`` failures, each tried as soon as it is allowed."""
    waits = []
    for _ in range(failures):
        clock.now += throttle.wait_seconds(name)
        throttle.failed(name)
        waits.append(throttle.wait_seconds(name))
    return waits


def test_the_wait_doubles_from_the_first_delay_up_to_the_cap() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=3, first_delay=1, max_delay=300, clock=clock)
    assert _waits(throttle, clock, "secretary", 14) == [
        0,
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
        300,
        300,
    ]


def test_a_success_starts_the_name_afresh() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=2, first_delay=1, max_delay=300, clock=clock)
    _waits(throttle, clock, "secretary", 6)
    clock.now += throttle.wait_seconds("secretary")
    throttle.succeeded("secretary")
    assert _waits(throttle, clock, "secretary", 3) == [0, 1, 2]


def test_the_wait_is_per_name_and_case_blind() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=1, first_delay=60, clock=clock)
    throttle.failed("Secretary ")
    assert throttle.wait_seconds("secretary") == 60
    assert throttle.wait_seconds("treasurer") == 0


def test_failures_are_forgotten_a_while_after_the_last() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=2, first_delay=1, forget_after=3600, clock=clock)
    _waits(throttle, clock, "secretary", 5)
    clock.now += 3601
    assert _waits(throttle, clock, "secretary", 2) == [0, 1]


def test_a_huge_username_is_not_kept_whole() -> None:
    throttle = LoginThrottle(max_failures=2)
    name = "x" * 1_000_000
    throttle.failed(name)
    throttle.failed(name)
    assert throttle.wait_seconds(name) > 0  # still throttled
    assert sum(len(key) for key in throttle._records) < 1000


def test_a_flood_of_names_keeps_the_table_bounded_and_cannot_push_a_waiting_name_out() -> None:
    clock = _Clock()
    throttle = LoginThrottle(max_failures=2, first_delay=60, clock=clock, max_records=100)
    throttle.failed("secretary")
    throttle.failed("secretary")
    for i in range(1000):
        throttle.failed(f"made-up-{i}")
    assert len(throttle._records) <= 100
    assert throttle.wait_seconds("secretary") == 60
    assert throttle.wait_seconds("made-up-999") == 0  # one failure only
    throttle.failed("made-up-999")
    assert throttle.wait_seconds("made-up-999") > 0
