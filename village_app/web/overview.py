"""The village overview: councils, matters by stage, open supervision items."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from village_app.web.rendering import render


@dataclass(frozen=True)
class OverviewPage:
    village: str | None


async def overview(request: Request) -> Response:
    return render(request, "overview.html", OverviewPage(village=request.app.state.village))


routes = [Route("/", overview, name="overview")]
