from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.helpers import tiny_png
from village_app.domain import (
    MAX_ATTACHMENT_BYTES,
    AttachmentTooLarge,
    InvalidAttachment,
    sniff_content_type,
    validate_attachment,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "content_type", "ext"),
    [
        (tiny_png(), "image/png", ".png"),
        (JPEG, "image/jpeg", ".jpg"),
        (PDF, "application/pdf", ".pdf"),
    ],
)
def test_known_types_by_content_whatever_the_name(data: bytes, content_type: str, ext: str) -> None:
    checked = validate_attachment("签字表.txt", data)
    assert checked.content_type == content_type
    assert checked.name == "签字表" + ext
    assert checked.size == len(data)


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00 a windows program",
        b"<html><script>alert(1)</script>",
        b"\x89PNG\r\n\x1a\n but no header chunk",
        b"%PDF-1.4 truncated, no end marker",
        b"GIF89a\x01\x00\x01\x00",
    ],
)
def test_other_content_is_refused_even_with_a_good_name(data: bytes) -> None:
    with pytest.raises(InvalidAttachment) as info:
        validate_attachment("scan.png", data)
    assert info.value.field == "attachment" and "JPEG" in info.value.message()
    assert info.value.status == 422


def test_empty_is_refused() -> None:
    with pytest.raises(InvalidAttachment):
        validate_attachment("a.pdf", b"")


def test_ten_megabytes_is_the_limit() -> None:
    at_limit = PDF + b" " * (MAX_ATTACHMENT_BYTES - len(PDF) - 6) + b"%%EOF\n"
    assert len(at_limit) == MAX_ATTACHMENT_BYTES
    assert validate_attachment("a.pdf", at_limit).content_type == "application/pdf"
    with pytest.raises(AttachmentTooLarge) as info:
        validate_attachment("a.pdf", at_limit + b" ")
    assert info.value.status == 413
    assert isinstance(info.value, InvalidAttachment)


def test_names_are_made_safe() -> None:
    assert validate_attachment("../../etc/passwd", PDF).name == "passwd.pdf"
    assert validate_attachment("C:\\scans\\会议 记录<1>.jpeg", JPEG).name == "会议_记录_1.jpg"
    assert validate_attachment("", JPEG).name == "attachment.jpg"


@given(st.binary(max_size=64))
def test_sniffing_never_raises(data: bytes) -> None:
    assert sniff_content_type(data) in (None, "image/png", "image/jpeg", "application/pdf")
