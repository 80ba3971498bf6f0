"""Attachments (scans of signed sheets, minutes, photos) as they were uploaded."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from village_app import repo
from village_app.web import resolve


async def attachment(request: Request) -> Response:
    record_id, name = request.path_params["record_id"], request.path_params["name"]
    data, content_type = await repo.get_attachment(resolve.db(request), resolve.village(request), record_id, name)
    headers = {
        # Shown in the browser (a scan), never guessed as something else.
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400",
    }
    return Response(data, media_type=content_type, headers=headers)


routes = [Route("/records/{record_id}/attachments/{name}", attachment, name="attachment")]
