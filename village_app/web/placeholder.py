"""A placeholder page served until the village app exists (issue 4)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>村议</title>"
        "<h1>村议 Cunyi</h1><p>村级议事记录系统正在建设中。</p></html>"
    )


app = Starlette(routes=[Route("/", home, name="home")])
