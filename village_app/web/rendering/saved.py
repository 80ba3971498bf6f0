"""What was just saved, carried across the redirect that follows a save (post, redirect, get)
in the session, so the page it lands on shows that record highlighted and focused.

The note names the page it is for (a matter's id, a council, ``"supervision"``...): it is
taken by that page only, once, so a refresh or another page shows nothing stale."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

_KEY: Final = "saved"


def note_saved(request: Request, page: str, ident: str) -> None:
    session = request.scope.get("session")
    if session is not None:
        session[_KEY] = [page, ident]


def take_saved(request: Request, page: str) -> str:
    """The id noted for ``page`` (removed from the session), or ``""``."""
    session = request.scope.get("session")
    if not session:
        return ""
    noted = session.get(_KEY)
    if not (isinstance(noted, list) and len(noted) == 2 and noted[0] == page):
        return ""
    del session[_KEY]
    return str(noted[1])
