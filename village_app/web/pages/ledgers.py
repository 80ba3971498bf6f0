"""台账: the four ledgers the township asks for, and the yearly review of the service lists
(年度评议), each as an .xlsx download and a printable A4 page. The matters and meeting ledgers follow the matters list's filters (the same query);
the 红白事 register, like its page, is the secretary's only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from village_app.i18n import now_local
from village_app.web import ledgers, resolve, service_ledger
from village_app.web.pages.matters import parse_filters
from village_app.web.rendering.templates import render, request_locale
from village_app.web.rendering.workbook import Ledger, xlsx_response
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, Access, GuardedRoute, route


@dataclass(frozen=True)
class LedgersPage:
    #: Whether the 红白事 register is offered (the secretary's only).
    ceremonies: bool
    year: int


@dataclass(frozen=True)
class LedgerPage:
    ledger: Ledger
    #: The route names of this ledger's download and of the page it belongs to.
    xlsx: str
    back: str
    #: The filters, passed on to the download link.
    query: str


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    return (
        int(raw)
        if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100
        else now_local().year
    )


async def _matters(request: Request) -> Ledger:
    return await ledgers.matters_ledger(
        resolve.store(request), parse_filters(request), request_locale(request)
    )


async def _meetings(request: Request) -> Ledger:
    return await ledgers.meetings_ledger(
        resolve.store(request), parse_filters(request), request_locale(request)
    )


async def _supervision(request: Request) -> Ledger:
    return await ledgers.supervision_ledger(resolve.store(request), request_locale(request))


async def _ceremonies(request: Request) -> Ledger:
    return await ledgers.ceremonies_ledger(
        resolve.store(request), _year(request), request_locale(request)
    )


async def index(request: Request) -> Response:
    secretary = SECRETARY.admits(request.auth.scopes)
    return render(request, "ledgers.html", LedgersPage(ceremonies=secretary, year=now_local().year))


async def _services(request: Request) -> Ledger:
    return await service_ledger.review_ledger(
        resolve.store(request), _year(request), request_locale(request)
    )


Build = Callable[[Request], Awaitable[Ledger]]


def _routes(name: str, build: Build, back: str, access: Access) -> list[GuardedRoute]:
    """``/ledgers/<name>.xlsx`` and ``/ledgers/<name>/print`` for one ledger."""

    async def download(request: Request) -> Response:
        return xlsx_response(await build(request))

    async def printable(request: Request) -> Response:
        page = LedgerPage(await build(request), f"ledger_{name}_xlsx", back, request.url.query)
        return render(request, "ledger.html", page)

    download.__name__, printable.__name__ = f"{name}_xlsx", f"{name}_print"
    return [
        route(f"/ledgers/{name}.xlsx", download, name=f"ledger_{name}_xlsx", access=access),
        route(f"/ledgers/{name}/print", printable, name=f"ledger_{name}_print", access=access),
    ]


routes = [
    route("/ledgers", index, name="ledgers", access=SIGNED_IN),
    *_routes("matters", _matters, "matters", SIGNED_IN),
    *_routes("meetings", _meetings, "matters", SIGNED_IN),
    *_routes("supervision", _supervision, "supervision", SIGNED_IN),
    *_routes("ceremonies", _ceremonies, "ceremonies", SECRETARY),
    # 年度评议 of the service projects and posts (issue 13): no villager named in it.
    *_routes("services", _services, "service_review", SIGNED_IN),
]
