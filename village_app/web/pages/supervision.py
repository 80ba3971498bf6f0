"""Supervision by the village affairs supervision committee: findings and their follow-ups."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import (
    STATUSES,
    BodyKind,
    DomainError,
    NotFound,
    SupervisionEntry,
    SupervisionThread,
)
from village_app.i18n import now_local
from village_app.web import resolve
from village_app.web.pages.auth import safe_next
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route


@dataclass(frozen=True)
class SupervisionPage:
    threads: tuple[SupervisionThread, ...]
    supervisors: tuple[str, ...]
    form: forms.FormState = field(default_factory=forms.FormState)
    #: The thread whose follow-up form had an error (its form shows the state).
    failed_thread: str = ""
    statuses: tuple[str, ...] = STATUSES
    #: Titles of the matters the threads are about, by id (for their links).
    matter_titles: dict[str, str] = field(default_factory=dict)
    #: The thread a finding or follow-up was just saved to (highlighted and focused).
    saved: str = ""

    @property
    def blank(self) -> forms.FormState:
        return forms.FormState()

    @property
    def open_count(self) -> int:
        return sum(1 for t in self.threads if t.is_open)


async def _page(
    request: Request, state: forms.FormState | None = None, failed_thread: str = ""
) -> SupervisionPage:
    store = resolve.store(request)
    threads = await store.list_supervision()
    roster = await store.list_members(
        BodyKind.SUPERVISION_COMMITTEE, on=now_local().date(), private=False
    )
    # Open items first; within each group the most recent activity first.
    recent = sorted(threads, key=lambda t: t.latest.created_at, reverse=True)
    ordered = [t for t in recent if t.is_open] + [t for t in recent if not t.is_open]
    titles = {}
    for matter_id in {t.first.matter for t in threads if t.first.matter}:
        try:
            titles[matter_id] = (await store.get_matter(matter_id)).title
        except NotFound:  # a matter not (yet) replicated here: the link says so by its plain label
            continue
    return SupervisionPage(
        tuple(ordered),
        tuple(m.name for m in roster),
        state or forms.FormState(),
        failed_thread,
        matter_titles=titles,
    )


async def supervision(request: Request) -> Response:
    page = replace(await _page(request), saved=take_saved(request, "supervision"))
    return render(request, "supervision.html", page)


async def add(request: Request, thread_id: str | None) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _add(request, thread_id, form)


async def _add(request: Request, thread_id: str | None, form: FormData) -> Response:
    state = forms.FormState.of(form)
    try:
        entry = SupervisionEntry(
            finding=forms.text(form, "finding"),
            recorded_by=forms.text(form, "recorded_by"),
            status=forms.text(form, "status") or "open",
            follow_up=forms.text(form, "follow_up"),
            noted_at=forms.moment(form, "noted_at") or now_local(),
            matter=forms.text(form, "matter") or None,
        )
        if entry.matter:  # only this village's matters
            await resolve.store(request).get_matter(entry.matter)
        saved = await resolve.store(request).add_supervision(
            entry, thread_id=thread_id, key=forms.form_key(form)
        )
    except DomainError as exc:
        page = await _page(request, state.fail(exc, request_locale(request)), thread_id or "")
        return render(request, "supervision.html", page, status_code=exc.status)
    back = forms.text(form, "next")
    if back:
        return RedirectResponse(safe_next(back), status_code=303)
    thread = thread_id or saved.id
    note_saved(request, "supervision", thread)
    return RedirectResponse(f"{request.url_for('supervision')}#thread-{thread}", status_code=303)


async def add_finding(request: Request) -> Response:
    return await add(request, None)


async def add_follow_up(request: Request) -> Response:
    return await add(request, request.path_params["thread_id"])


routes = [
    route("/supervision", supervision, name="supervision", access=SIGNED_IN),
    route("/supervision", add_finding, name="supervision_add", access=SECRETARY, methods=("POST",)),
    route(
        "/supervision/{thread_id}",
        add_follow_up,
        name="supervision_follow_up",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/supervision/{thread_id}", "supervision", name="supervision_follow_up_back"),
]
