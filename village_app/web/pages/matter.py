"""The matter page: the procedure as a timeline of its stages, each with its meeting,
attendance, vote, attachments and corrections; the next stage's form in place."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import MatterView
from village_app.domain.reviews import Review
from village_app.domain.worthies import Contribution
from village_app.syncing.problems import RefusedRecord
from village_app.web import resolve
from village_app.web.pages.stage_form import StageForm, build_form, worded
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route
from village_app.web.state import app_state


@dataclass(frozen=True)
class MatterPage:
    view: MatterView
    #: The form for the next stage (``None`` once the procedure is complete).
    next_form: StageForm | None
    #: The record (or ``"matter"``: the matter itself) just saved: shown highlighted, scrolled
    #: to and focused, so the secretary sees at once that what he typed was kept.
    saved: str = ""
    #: The county's reviews of the matter, oldest first (received at a pull).
    reviews: tuple[Review, ...] = ()
    #: The worthies' association's advice and donations for this matter.
    contributions: tuple[Contribution, ...] = ()
    #: Records of this matter the county refused at a sync, not yet changed or corrected.
    refused: tuple[RefusedRecord, ...] = ()


async def matter_page_context(request: Request, matter_id: str, *, saved: str = "") -> MatterPage:
    store = resolve.store(request)
    view = await store.matter_view(matter_id)
    spec = view.next_stage
    next_form = (
        await build_form(request, view.matter, spec, worded(request, spec)) if spec else None
    )
    return MatterPage(
        view,
        next_form,
        saved,
        tuple(await store.list_reviews(matter_id)),
        contributions=tuple(await store.list_contributions(matter=matter_id)),
        refused=_refused(request, matter_id),
    )


def _refused(request: Request, matter_id: str) -> tuple[RefusedRecord, ...]:
    service = app_state(request).sync
    if service is None:
        return ()
    return tuple(r for r in service.refused if r.matter == matter_id)


async def matter(request: Request) -> Response:
    saved = take_saved(request, request.path_params["matter_id"])
    page = await matter_page_context(request, request.path_params["matter_id"], saved=saved)
    return render(request, "matter.html", page, block="timeline")


def saved_redirect(request: Request, matter_id: str, saved: str) -> Response:
    """After a save without JavaScript: back to the matter page, at what was saved (shown
    highlighted there: see :attr:`MatterPage.saved`)."""
    note_saved(request, matter_id, saved)
    url = request.url_for("matter", matter_id=matter_id)
    anchor = "" if saved == SAVED_MATTER else f"#record-{saved}"
    return RedirectResponse(f"{url}{anchor}", status_code=303)


#: :attr:`MatterPage.saved` after the matter itself was created or edited.
SAVED_MATTER = "matter"

routes = [route("/matters/{matter_id}", matter, name="matter", access=SIGNED_IN)]
