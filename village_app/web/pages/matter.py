"""The matter page: the procedure as a timeline of its stages, each with its meeting,
attendance, vote, attachments and corrections; the next stage's form in place."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from village_app.domain import MatterView
from village_app.web import resolve
from village_app.web.pages.stage_form import StageForm, build_form
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route


@dataclass(frozen=True)
class MatterPage:
    view: MatterView
    #: The form for the next stage (``None`` once the procedure is complete).
    next_form: StageForm | None


async def matter_page_context(request: Request, matter_id: str) -> MatterPage:
    view = await resolve.store(request).matter_view(matter_id)
    spec = view.next_stage
    next_form = await build_form(request, view.matter, spec) if spec else None
    return MatterPage(view, next_form)


async def matter(request: Request) -> Response:
    page = await matter_page_context(request, request.path_params["matter_id"])
    return render(request, "matter.html", page, block="timeline")


routes = [route("/matters/{matter_id}", matter, name="matter", access=SIGNED_IN)]
