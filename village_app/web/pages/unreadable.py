"""无法读取的记录: documents that arrived (by replication or a bundle) in a shape this version
cannot read. They are left out of every other page and kept untouched in the database, so a
fixed revision can still replicate over them; this page says which, and why."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from village_app.repo.quarantine import Unreadable
from village_app.web import resolve
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route


@dataclass(frozen=True)
class UnreadablePage:
    items: tuple[Unreadable, ...]


async def unreadable(request: Request) -> Response:
    page = UnreadablePage(tuple(await resolve.store(request).unreadable()))
    return render(request, "unreadable.html", page)


routes = [route("/unreadable", unreadable, name="unreadable", access=SIGNED_IN)]
