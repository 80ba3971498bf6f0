"""Attachments (scans of signed sheets, minutes, photos) as they were uploaded."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from village_app import repo
from village_app.domain import InvalidAttachment
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.errors import PayloadTooLarge
from village_app.web.pages.matter import saved_redirect
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route
from village_app.web.state import app_state


async def attachment(request: Request) -> Response:
    record_id, name = request.path_params["record_id"], request.path_params["name"]
    data, content_type = await resolve.store(request).get_attachment(record_id, name)
    # A checked scan is shown in the browser; anything else is only ever saved as a file.
    disposition = "attachment" if content_type == repo.OPAQUE_CONTENT_TYPE else "inline"
    headers = {
        # Never guessed as something else (nosniff); the name is percent-encoded (RFC 6266/5987).
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        # Scans name people: kept out of the browser's disk cache (Back after logout).
        "Cache-Control": "no-store",
        # Not the pages' policy: its object-src 'none' would stop Chromium's PDF viewer from
        # showing a scanned PDF; nothing here may run script either way.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        "object-src 'self'; frame-ancestors 'self'",
    }
    return Response(data, media_type=content_type, headers=headers)


async def add_attachment(request: Request) -> Response:
    async with request.form() as form:  # closes the spooled upload afterwards
        return await _add_attachment(request, form)


async def _add_attachment(request: Request, form: FormData) -> Response:
    """A scan added to a record after the fact (the signed sheet often comes back later).
    It never replaces what is there; a bad file gets the domain's error page (413, 422)."""
    matter = await resolve.matter(request)
    record_id = request.path_params["record_id"]
    upload = form.get("attachment")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidAttachment(N_("请选择要上传的文件"), field="attachment")
    if upload.size is not None and upload.size > app_state(request).settings.max_attachment_bytes:
        raise PayloadTooLarge
    await resolve.store(request).add_attachment(
        record_id,
        upload.filename,
        await upload.read(),
    )
    return saved_redirect(request, matter.id, record_id)


routes = [
    route(
        "/records/{record_id}/attachments/{name}", attachment, name="attachment", access=SIGNED_IN
    ),
    route(
        "/matters/{matter_id}/records/{record_id}/attachments",
        add_attachment,
        name="attachment_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to(
        "/matters/{matter_id}/records/{record_id}/attachments", "matter", name="attachment_add_back"
    ),
]
