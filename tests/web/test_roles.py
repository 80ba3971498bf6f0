"""Accounts that only read (``village-app user add --role viewer``, or ``reviewer``) cannot
change records in the field; they can still read, switch language and log out."""

from __future__ import annotations

from typing import Any

import pytest

from village_app import accounts
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, csrf_of, log_in, page_of

READER_PASSWORD = "reader-password-1"


def _with_reader(role: str) -> Any:
    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        await accounts.add_user(db, "reader", READER_PASSWORD, village=VILLAGE, role=role)

    return setup


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_a_reading_account_cannot_write(make_client: ClientFactory, role: str) -> None:
    client = make_client(logged_in=False, setup=_with_reader(role))
    assert log_in(client, "reader", READER_PASSWORD).status_code == 303
    assert client.get("/matters").status_code == 200
    assert client.get("/ceremonies").status_code == 403  # names families: the secretary's only
    token = csrf_of(client, "/")
    data = {
        "csrf_token": token,
        "kind": "major",
        "title": "修建村西水渠",
        "year": "2026",
        "summary": "x",
    }
    response = client.post("/matters", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert page_of(client.get("/matters")).total == 0
    htmx = client.post("/matters", data=data, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert htmx.status_code == 403
    assert (
        client.post(
            "/lang", data={"csrf_token": token, "lang": "en", "next": "/"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )


def test_the_secretary_still_writes(make_client: ClientFactory) -> None:
    client = make_client(setup=_with_reader("viewer"))
    data = {
        **{"csrf_token": csrf_of(client, "/")},
        "kind": "major",
        "title": "修建村西水渠",
        "year": "2026",
        "summary": "x",
    }
    assert client.post("/matters", data=data, follow_redirects=False).status_code == 303
    assert client.get("/ceremonies").status_code == 200
