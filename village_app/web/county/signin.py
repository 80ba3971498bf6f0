"""Signing county staff in with their CouchDB account (``POST /_session``): CouchDB checks
the password and says which roles the account has; the app keeps the name and roles in its
own session and never the password."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)


class CountyUnavailable(RuntimeError):
    """The county's CouchDB did not answer."""


async def couch_sign_in(base_url: str, name: str, password: str) -> list[str] | None:
    """The account's roles, or ``None`` for a wrong name or password."""
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            answer = await client.post(
                f"{base_url}/_session", json={"name": name, "password": password}
            )
    except httpx.HTTPError as exc:
        log.warning("county sign-in: %s did not answer (%s)", base_url, type(exc).__name__)
        raise CountyUnavailable(str(exc)) from exc
    if answer.status_code == 401:
        return None
    if answer.status_code != 200:
        log.warning("county sign-in: %s answered %s", base_url, answer.status_code)
        raise CountyUnavailable(f"HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError as exc:
        raise CountyUnavailable("not JSON") from exc
    found = body.get("roles") if isinstance(body, dict) else None
    if body.get("name") != name or not isinstance(found, list):
        raise CountyUnavailable("an unexpected _session answer")
    return [str(r) for r in found]
