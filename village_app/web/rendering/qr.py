"""The QR code of a signed publication: its address on the county's verify page (with the
content hash the laptop signed), drawn by segno as inline SVG, on the kiosk and on the
printed notice alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import segno

from village_app.domain.signing import SIGNATURE


def signed_hash(twin: Mapping[str, Any] | None) -> str | None:
    """The content hash a publication's twin was signed over (``None``: not signed)."""
    block = twin.get(SIGNATURE) if twin is not None else None
    digest = block.get("hash") if isinstance(block, Mapping) else None
    return digest if isinstance(digest, str) and digest else None


def verify_link(base: str | None, matter_id: str, digest: str | None) -> str:
    """``<base>/verify?v=<village>&m=<matter>&h=<hash>``, or ``""`` when there is no county
    address to point to or the publication is not signed."""
    parts = matter_id.split(":")
    if not base or not isinstance(digest, str) or len(parts) < 3:
        return ""
    query = urlencode({"v": parts[1], "m": matter_id, "h": digest})
    return f"{base.rstrip('/')}/verify?{query}"


def qr_svg(link: str, *, scale: int = 5) -> str:
    """The link as a QR code, inline SVG of paths only (the text is not in it), or ``""``;
    ``scale``: pixels a module (5 on the kiosk's screen, 3 on an A4 notice: about 5 cm)."""
    return segno.make(link, error="m").svg_inline(scale=scale, border=4) if link else ""
