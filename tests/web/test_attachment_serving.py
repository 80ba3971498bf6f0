"""Serving attachments: only evidence records' scans, only as the type their bytes prove.

Documents can arrive by replication with any attachment name and type, so the stored
``content_type`` is not what the response says."""

from __future__ import annotations

import base64
from typing import Any

from web.helpers import PNG, VILLAGE, ClientFactory

_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
_POLYGLOT = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"


def _stub(data: bytes, content_type: str) -> dict[str, str]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


async def _replicated(db: Any) -> None:
    await db.put(
        {
            "_id": f"stage_record:{VILLAGE}:R",
            "type": "stage_record",
            "village": VILLAGE,
            "_attachments": {
                "page.html": _stub(_HTML, "text/html"),
                "scan.pdf": _stub(_HTML, "application/pdf"),  # declared a PDF, is not
                "poly.pdf": _stub(_POLYGLOT, "application/pdf"),
                "sheet.png": _stub(PNG, "image/png"),
            },
        }
    )
    await db.put(
        {
            "_id": f"member_private:{VILLAGE}:M",
            "type": "member_private",
            "village": VILLAGE,
            "_attachments": {"id-card.png": _stub(PNG, "image/png")},
        }
    )


def test_markup_is_never_served_as_a_page(make_client: ClientFactory) -> None:
    client = make_client(setup=_replicated)
    for name in ("page.html", "scan.pdf"):
        response = client.get(f"/records/stage_record:{VILLAGE}:R/attachments/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == _HTML


def test_checked_scans_are_shown_inline_with_their_type(make_client: ClientFactory) -> None:
    client = make_client(setup=_replicated)
    response = client.get(f"/records/stage_record:{VILLAGE}:R/attachments/sheet.png")
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == "inline; filename*=UTF-8''sheet.png"
    poly = client.get(f"/records/stage_record:{VILLAGE}:R/attachments/poly.pdf")
    assert poly.headers["content-type"] == "application/pdf"
    assert poly.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in poly.headers["content-security-policy"]


def test_attachments_of_other_documents_are_not_found(make_client: ClientFactory) -> None:
    client = make_client(setup=_replicated)
    assert (
        client.get(f"/records/member_private:{VILLAGE}:M/attachments/id-card.png").status_code
        == 404
    )
    for path in (
        "/records/_local%2Fuser:secretary/attachments/x.png",
        "/records/..%2F..%2Fsecret/attachments/x.png",
        "/records/_design:x/attachments/x.png",
        f"/records/stage_record:{VILLAGE}:R/attachments/..%2Fsheet.png",
    ):
        assert client.get(path).status_code in (400, 404), path


def test_attachment_needs_a_session(make_client: ClientFactory) -> None:
    client = make_client(setup=_replicated, logged_in=False)
    response = client.get(
        f"/records/stage_record:{VILLAGE}:R/attachments/sheet.png", follow_redirects=False
    )
    assert response.status_code == 303
    assert "/login?next=" in response.headers["location"]


def test_pages_and_scans_are_not_kept_in_the_browser_cache(make_client: ClientFactory) -> None:
    client = make_client(setup=_replicated)
    for path in ("/", "/matters", f"/records/stage_record:{VILLAGE}:R/attachments/sheet.png"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    assert client.get("/static/app.css").headers.get("cache-control") != "no-store"
