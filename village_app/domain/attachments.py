"""Attachments: scans or photos of signed sheets and minutes.

Only JPEG, PNG and PDF, told apart by their content (magic bytes and the
structure right after them), never by the file name or the browser's declared
type; at most 10 MB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from village_app.domain.errors import AttachmentTooLarge, InvalidAttachment
from village_app.i18n import N_

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
CONTENT_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CheckedAttachment:
    name: str  # a safe file name with the extension that matches the content
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff_content_type(data: bytes) -> str | None:
    """``image/jpeg``, ``image/png``, ``application/pdf``, or None for anything else."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return "image/png"
    # SOI followed by another marker (APP0/APP1/DQT...): FF D8 FF xx
    if len(data) > 3 and data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    # "%PDF-1.x" header; a complete file ends with %%EOF (allowing trailing whitespace/garbage).
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return "application/pdf"
    return None


def safe_name(filename: str, content_type: str) -> str:
    """The base name only, harmless characters, and the extension that fits the content."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^\w\-一-鿿]+", "_", stem).strip("._")[:60] or "attachment"
    return stem + CONTENT_TYPES[content_type]


def validate_attachment(
    filename: str, data: bytes, *, field: str = "attachment"
) -> CheckedAttachment:
    """Check an upload by content; raises :class:`AttachmentTooLarge` (413) or :class:`InvalidAttachment`."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            N_("附件不能超过10 MB（此文件%(size)s MB）"),
            {"size": f"{len(data) / 1024 / 1024:.1f}"},
            field=field,
        )
    if not data:
        raise InvalidAttachment(N_("附件为空"), field=field)
    content_type = sniff_content_type(data)
    if content_type is None:
        raise InvalidAttachment(N_("附件只能是JPEG、PNG图片或PDF文件"), field=field)
    return CheckedAttachment(safe_name(filename, content_type), content_type, data)
