"""Login attempts sent all at once are throttled like attempts one after another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from web.helpers import USERNAME, ClientFactory, csrf_of


def test_a_burst_of_wrong_passwords_gets_no_more_tries(make_client: ClientFactory) -> None:
    client = make_client(logged_in=False, login_max_failures=3, login_first_delay_seconds=600)
    token = csrf_of(client)

    def attempt(i: int) -> int:
        data = {"username": USERNAME, "password": f"guess-{i}", "csrf_token": token}
        return client.post("/login", data=data, follow_redirects=False).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(attempt, range(12)))
    assert sorted(codes) == [400] * 3 + [429] * 9
