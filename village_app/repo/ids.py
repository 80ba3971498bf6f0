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


def ulid(moment: datetime, rng: Random | None = None) -> str:
    millis = int(moment.timestamp() * 1000)
    randomness = rng.getrandbits(80) if rng is not None else secrets.randbits(80)
    return _base32(millis, 10) + _base32(randomness, 16)


def make_id(doc_type: str, village: str, suffix: str) -> str:
    return f"{doc_type}:{village}:{suffix}"


def split_id(docid: str) -> tuple[str, str, str]:
    """``(type, village, suffix)``; raises ValueError for an id of another shape."""
    doc_type, village, suffix = docid.split(":", 2)
    return doc_type, village, suffix
