"""Document ids: ``<type>:<village>:<sortable id>``.

The sortable id is a ULID (26 Crockford base32 characters: 48 bits of
milliseconds, 80 random bits), so ids made on different laptops never collide
and sort by creation time as plain strings. Written here rather than added as a
dependency: it is a dozen lines.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from random import Random

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def ulid(moment: datetime, rng: Random | None = None, *, after: str | None = None) -> str:
    """A ULID for ``moment``; given the previous one (``after``) from the same source, the new one
    sorts after it even within the same millisecond (the random part is incremented, as the ULID
    spec's monotonic mode does), so ids from one writer keep their order."""
    millis = int(moment.timestamp() * 1000)
    if after is not None:
        last_millis = _decode(after[:10])
        if millis <= last_millis:
            return _base32(last_millis, 10) + _base32(_decode(after[10:]) + 1, 16)
    randomness = rng.getrandbits(80) if rng is not None else secrets.randbits(80)
    # Keep headroom so monotonic increments never overflow 80 bits.
    return _base32(millis, 10) + _base32(randomness >> 1, 16)


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + _CROCKFORD.index(char)
    return value


def make_id(doc_type: str, village: str, suffix: str) -> str:
    return f"{doc_type}:{village}:{suffix}"


def split_id(docid: str) -> tuple[str, str, str]:
    """``(type, village, suffix)``; raises ValueError for an id of another shape."""
    doc_type, village, suffix = docid.split(":", 2)
    return doc_type, village, suffix


def new_form_key() -> str:
    """An idempotency key for one rendered form: a fresh ULID. The record the form creates gets
    it as its id, so a repeated or concurrent submission of the same form finds the first."""
    return ulid(datetime.now().astimezone())


def is_form_key(text: str) -> bool:
    return len(text) == 26 and all(c in _CROCKFORD for c in text)
