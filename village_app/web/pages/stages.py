"""Recording a stage of a matter, with its scanned sheet; and correcting a record.

Each form works without JavaScript (POST, then a redirect to the matter page, or
the form again with the errors beside their fields). With htmx the same form is
posted in place on the matter page: success swaps in the new timeline, an error
swaps the form back with its messages.
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from village_app.domain import (
    DomainError,
    Matter,
    NotFound,
    Problems,
    StageRecord,
)
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.pages.matter import matter_page_context, saved_redirect
from village_app.web.pages.stage_form import StagePage, build_form, worded
from village_app.web.rendering import forms, uploads
from village_app.web.rendering.templates import is_htmx, render, request_locale
from village_app.web.security.permissions import SECRETARY, route
from village_app.web.state import app_state


def _max_bytes(request: Request) -> int:
    return app_state(request).settings.max_attachment_bytes


async def stage_page(request: Request) -> Response:
    matter = await resolve.matter(request)
    spec = resolve.stage(matter, request.path_params["stage"])
    page = StagePage(
        await build_form(request, matter, spec, worded(request, spec)), standalone=True
    )
    return render(request, "stage.html", page, block="form")


async def stage_roster(request: Request) -> Response:
    """The roster part of a stage form for the body and day chosen so far (htmx)."""
    matter = await resolve.matter(request)
    spec = resolve.stage(matter, request.path_params["stage"])
    pairs: list[tuple[str, str | UploadFile]] = list(request.query_params.multi_items())
    state = forms.FormState.of(FormData(pairs))
    page = StagePage(await build_form(request, matter, spec, state))
    return render(request, "stage.html", page, block="roster", force_block=True)


def _form_error(request: Request, page: StagePage, status: int) -> Response:
    headers = (
        {"HX-Retarget": f"#{page.form.dom_id}", "HX-Reswap": "outerHTML"}
        if is_htmx(request)
        else None
    )
    return render(request, "stage.html", page, block="form", status_code=status, headers=headers)


async def _timeline(request: Request, matter_id: str, saved: str) -> Response:
    page = await matter_page_context(request, matter_id, saved=saved)
    return render(request, "matter.html", page, block="timeline", force_block=True)


async def record_stage(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _record_stage(request, form)


async def _record_stage(request: Request, form: FormData) -> Response:
    matter = await resolve.matter(request)
    spec = resolve.stage(matter, request.path_params["stage"])
    state = forms.FormState.of(form)
    problems = Problems()
    key = forms.form_key(form)
    held = resolve.pending(request, key)
    try:
        record = forms.stage_record(form, matter.id, spec, problems)
        files = await uploads.attachments(form, held, _max_bytes(request), problems)
        saved = await resolve.store(request).append_stage_record(
            matter.id,
            record,
            attachments=files,
            # A failed meeting is refused unless the secretary keeps it on purpose, as evidence.
            refuse_failed=forms.text(form, "keep_failed") != "on",
            key=key,
            problems=problems,
        )
    except DomainError as exc:
        page = StagePage(
            await build_form(request, matter, spec, state.fail(exc, request_locale(request)))
        )
        return _form_error(request, page, exc.status)
    if held is not None:
        held.clear()  # now in the record
    if is_htmx(request):
        return await _timeline(request, matter.id, saved.id)
    return saved_redirect(request, matter.id, saved.id)


async def _target(request: Request) -> tuple[Matter, StageRecord]:
    matter = await resolve.matter(request)
    records = await resolve.store(request).list_stage_records(matter.id)
    record_id = request.path_params["record_id"]
    for record in records:
        if record.id == record_id:
            return matter, record
    raise NotFound(N_("记录不存在"), ids=[record_id])


async def correction_page(request: Request) -> Response:
    matter, record = await _target(request)
    spec = resolve.stage(matter, record.stage)
    state = forms.record_state(record)
    page = StagePage(await build_form(request, matter, spec, state, correcting=record))
    return render(request, "stage.html", page)


async def correct(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _correct(request, form)


async def _correct(request: Request, form: FormData) -> Response:
    matter, record = await _target(request)
    spec = resolve.stage(matter, record.stage)
    state = forms.FormState.of(form)
    problems = Problems()
    key = forms.form_key(form)
    held = resolve.pending(request, key)
    try:
        new = forms.stage_record(form, matter.id, spec, problems)
        files = await uploads.attachments(form, held, _max_bytes(request), problems)
        saved = await resolve.store(request).correct_record(
            record.id,
            new,
            forms.text(form, "reason"),
            attachments=files,
            carry=forms.carried(form, record),
            key=key,
            problems=problems,
        )
    except DomainError as exc:
        failed = state.fail(exc, request_locale(request))
        page = StagePage(await build_form(request, matter, spec, failed, correcting=record))
        return render(request, "stage.html", page, status_code=exc.status)
    if held is not None:
        held.clear()
    return saved_redirect(request, matter.id, saved.id)


routes = [
    route("/matters/{matter_id}/stages/{stage}", stage_page, name="stage_form", access=SECRETARY),
    route(
        "/matters/{matter_id}/stages/{stage}/roster",
        stage_roster,
        name="stage_roster",
        access=SECRETARY,
    ),
    route(
        "/matters/{matter_id}/stages/{stage}",
        record_stage,
        name="stage_record",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/matters/{matter_id}/records/{record_id}/correct",
        correction_page,
        name="correction_form",
        access=SECRETARY,
    ),
    route(
        "/matters/{matter_id}/records/{record_id}/correct",
        correct,
        name="correction_record",
        access=SECRETARY,
        methods=("POST",),
    ),
]
