"""A printable notice (A4, for the village notice board) for each publication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sync.errors import NotFoundError
from village_app.domain import Matter, NotFound, StageRecord, Village, effective
from village_app.domain.procedure import PRIVATE_COUNCIL
from village_app.domain.publicity import is_shown, twin_id
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.rendering.qr import qr_svg, signed_hash, verify_link
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route
from village_app.web.state import app_state


@dataclass(frozen=True)
class NoticePage:
    village: Village | None
    matter: Matter
    publication: StageRecord
    #: The meeting that decided it (its vote is printed), when there is one.
    decision: StageRecord | None
    #: Where a phone checks it (the county's verify page), and that as a QR code: only for a
    #: signed publication, when the laptop knows the county's web address.
    verify_url: str = ""
    qr_svg: str = ""


#: The stage whose vote a publication reports.
_DECIDED_BY = {
    "resolution_publication": "resolution",
    "result_publication": "resolution",
    "council_publication": "council_vote",
}


async def notice(request: Request) -> Response:
    store = resolve.store(request)
    matter = await resolve.matter(request)
    if matter.procedure == PRIVATE_COUNCIL:
        # It names people (DOMAIN.md): nothing of it is posted, so there is no notice to print.
        raise NotFound(N_("此事项不公开（不是红榜表彰），没有公告可打印"), ids=[matter.id])
    records = effective(await store.list_stage_records(matter.id))
    record_id = request.path_params["record_id"]
    publication = next((r for r in records if r.id == record_id and r.publication), None)
    if publication is None:
        raise NotFound(N_("公告不存在"), ids=[record_id])
    decided_by = _DECIDED_BY.get(publication.stage)
    decision = next((r for r in records if r.stage == decided_by and r.succeeded), None)
    try:
        village: Village | None = await store.get_village()
    except NotFound:
        village = None
    digest = signed_hash(await _twin(store, matter))
    link = verify_link(app_state(request).settings.verify_url, matter.id, digest)
    page = NoticePage(village, matter, publication, decision, link, qr_svg(link, scale=3))
    return render(request, "notice.html", page)


async def _twin(store: Any, matter: Matter) -> dict[str, Any] | None:
    """The matter's public twin as published (signed by this laptop), if shown."""
    try:
        twin = await store.db.get(twin_id(matter.id))
    except NotFoundError:
        return None
    return dict(twin) if is_shown(twin, store.village) else None


routes = [
    route("/matters/{matter_id}/notices/{record_id}", notice, name="notice", access=SIGNED_IN)
]
