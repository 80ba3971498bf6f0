"""A printable notice (A4, for the village notice board) for each publication, and one to
print before the publication is recorded (it is posted first, then photographed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sync.errors import NotFoundError
from village_app.domain import (
    DomainError,
    Matter,
    NotFound,
    Publication,
    StageRecord,
    Village,
    effective,
)
from village_app.domain.dates import parse_local
from village_app.domain.procedure import PRIVATE_COUNCIL
from village_app.domain.publicity import is_shown, twin_id
from village_app.i18n import N_, Message, now_local, translate
from village_app.web import resolve
from village_app.web.pages.stage_form import TEXT_FROM
from village_app.web.rendering import forms
from village_app.web.rendering.qr import qr_svg, signed_hash, verify_link
from village_app.web.rendering.templates import is_htmx, render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route
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
    #: A notice to print before its publication is recorded: the page lets him word it.
    draft: bool = False
    #: Only the sheet is sent (htmx, as he words the draft).
    fragment: bool = False
    #: What the draft's text is (a msgid: the stage's own label).
    text_label: str = N_("公开内容")


#: The stage whose vote a publication reports.
_DECIDED_BY = {
    "resolution_publication": "resolution",
    "result_publication": "resolution",
    "council_publication": "council_vote",
}
#: A draft notice's title, until he words his own.
_TITLES = {
    "resolution_publication": N_("关于%(title)s的决议公告"),
    "result_publication": N_("%(title)s实施结果公告"),
    "council_publication": N_("关于%(title)s的公告"),
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


async def notice_draft(request: Request) -> Response:
    """The notice of a publication stage not yet recorded, as soon as the decision it makes
    public has passed: worded on the page (its fields by GET, or POSTed by htmx as he types:
    a long text does not fit an address; nothing is saved), printed, posted; the stage form
    then takes the same words and the photo."""
    store = resolve.store(request)
    matter = await resolve.matter(request)
    spec = resolve.stage(matter, request.path_params["stage"])
    if not spec.publication or matter.procedure == PRIVATE_COUNCIL:
        raise NotFound(N_("此阶段没有公告可打印"), ids=[matter.id])
    records = effective(await store.list_stage_records(matter.id))
    decision = next(
        (r for r in records if r.stage == _DECIDED_BY.get(spec.key) and r.succeeded), None
    )
    if decision is None:
        raise NotFound(N_("表决通过后才有公告可打印"), ids=[matter.id])
    text_from = next((r for r in records if r.stage == TEXT_FROM.get(spec.key)), None)
    if request.method == "POST":
        async with request.form() as form:
            query = FormData([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    else:
        query = FormData(list(request.query_params.multi_items()))
    locale = request_locale(request)
    title = translate(Message(_TITLES[spec.key], {"title": matter.title}), locale)
    draft = StageRecord(
        matter.id,
        spec.key,
        content=forms.text(query, "content")
        if "content" in query
        else (text_from.content if text_from else ""),
        publication=Publication(
            forms.text(query, "what") or title,
            forms.text(query, "where") or translate(Message(N_("村务公开栏")), locale),
            _when(forms.text(query, "published_at")),
        ),
    )
    try:
        village: Village | None = await store.get_village()
    except NotFound:
        village = None
    return render(
        request,
        "notice.html",
        NoticePage(
            village,
            matter,
            draft,
            decision,
            draft=True,
            fragment=is_htmx(request),
            text_label=spec.text_label,
        ),
        block="sheet",
    )


def _when(typed: str) -> datetime:
    try:
        return parse_local(typed, field="published_at") if typed else now_local()
    except (DomainError, ValueError):
        return now_local()


async def _twin(store: Any, matter: Matter) -> dict[str, Any] | None:
    """The matter's public twin as published (signed by this laptop), if shown."""
    try:
        twin = await store.db.get(twin_id(matter.id))
    except NotFoundError:
        return None
    return dict(twin) if is_shown(twin, store.village) else None


routes = [
    route("/matters/{matter_id}/notices/{record_id}", notice, name="notice", access=SIGNED_IN),
    route(
        "/matters/{matter_id}/stages/{stage}/notice",
        notice_draft,
        name="notice_draft",
        access=SECRETARY,
        methods=["GET", "POST"],
    ),
]
