"""Reading a stored document strictly: the one schema check between the store and the domain.

Anything in a village database may have come from another laptop, an older or newer version,
or a broken client. Each ``*_from_doc`` reads its fields through :class:`Fields`, which accepts
only the stored shape (a title is a string, a count a non-negative integer, a time an ISO
string with an offset inside :data:`EARLIEST`..:data:`LATEST`) and raises
:class:`MalformedDocument` with the field and what was wrong, never the value (values may name
people). The store quarantines such a document: pages go on without it, it is listed with its
id, revision and reason, and the raw document stays untouched so that a fixed revision can
replicate over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from village_app.domain.dates import EARLIEST, LATEST

#: Characters an id may not contain: it is a path segment of the pages' URLs.
_ID_FORBIDDEN: Final = frozenset("/\\?#%") | frozenset(chr(c) for c in range(32)) | {"\x7f"}
#: "No default": the field must be there.
_REQUIRED: Final[Any] = object()
_REQUIRED_INT: Final[Any] = _REQUIRED


class MalformedDocument(ValueError):
    """A stored document that does not have the shape its type promises."""

    def __init__(self, docid: object, rev: object, reason: str) -> None:
        self.docid = docid if isinstance(docid, str) else repr(docid)
        self.rev = rev if isinstance(rev, str) else ""
        self.reason = reason
        super().__init__(f"{self.docid} ({self.rev or 'no rev'}): {reason}")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def safe_id(value: object) -> bool:
    """An id that can stand in a URL path segment."""
    return isinstance(value, str) and 0 < len(value) <= 400 and _ID_FORBIDDEN.isdisjoint(value)


class Fields:
    """Typed, strict access to one document's fields (or to a nested object of it)."""

    def __init__(
        self, doc: Mapping[str, Any], *, path: str = "", root: Mapping[str, Any] | None = None
    ) -> None:
        self.doc = doc
        self.root = root if root is not None else doc
        self.path = path

    @classmethod
    def of(cls, doc: Mapping[str, Any], doc_type: str) -> Fields:
        """The document's fields, once what every document shares has been checked: its id
        (``<type>:<village>:...``, usable in a URL), ``type``, ``village``, ``created_at``,
        ``created_by``."""
        fields = cls(doc)
        docid, village = doc.get("_id"), doc.get("village")
        if not isinstance(village, str) or not village:
            raise fields.fail("village", "the village code")
        if doc.get("type") != doc_type:
            raise fields.fail("type", repr(doc_type))
        if not safe_id(docid) or not str(docid).startswith(f"{doc_type}:{village}:"):
            raise MalformedDocument(
                docid, doc.get("_rev"), f"_id: expected {doc_type}:{village}:... usable in a URL"
            )
        fields.moment("created_at", required=True)
        fields.text("created_by")
        fields.moment("updated_at")
        fields.text("updated_by")
        return fields

    def fail(self, key: str, expected: str) -> MalformedDocument:
        got = _kind(self.doc.get(key)) if key in self.doc else "nothing"
        return MalformedDocument(
            self.root.get("_id"),
            self.root.get("_rev"),
            f"{self.path}{key}: expected {expected}, got {got}",
        )

    def _get(self, key: str, default: Any) -> Any:
        value = self.doc.get(key, default)
        return default if value is None and default is not _REQUIRED else value

    def text(self, key: str, default: str | object = "") -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, "text")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.doc.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(key, "text or null")
        return value

    def reference(self, key: str) -> str | None:
        """Another document's id (or none): it becomes part of a URL."""
        value = self.optional_text(key)
        if value is not None and not safe_id(value):
            raise self.fail(key, "an id without / ? # % or control characters")
        return value

    def integer(
        self, key: str, default: int | object = _REQUIRED_INT, *, maximum: int = 10**9
    ) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
            raise self.fail(key, f"a whole number from 0 to {maximum}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def optional_flag(self, key: str) -> bool | None:
        value = self.doc.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, "true, false or null")
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self.doc.get(key)
        if value in (None, "") and not required:
            return None
        try:
            parsed = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or not EARLIEST <= parsed <= LATEST:
            raise self.fail(key, f"a date (YYYY-MM-DD) from {EARLIEST.year} to {LATEST.year}")
        return parsed

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.doc.get(key)
        if value in (None, "") and not required:
            return None
        try:
            parsed = (
                datetime.fromisoformat(value.replace("Z", "+00:00"))
                if isinstance(value, str)
                else None
            )
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            parsed = None  # every stored time carries its offset
        # The wall-clock date first: converting year 1 or 9999 to UTC overflows.
        if (
            parsed is None
            or not EARLIEST <= parsed.date() <= LATEST
            or not EARLIEST <= parsed.astimezone(UTC).date() <= LATEST
        ):
            raise self.fail(key, f"a time with its offset from {EARLIEST.year} to {LATEST.year}")
        return parsed

    def required_day(self, key: str) -> date:
        value = self.day(key, required=True)
        assert value is not None
        return value

    def required_moment(self, key: str) -> datetime:
        value = self.moment(key, required=True)
        assert value is not None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.doc.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of texts")
        return tuple(value)

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.doc.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(key, "an object or null")
        return value

    def nested(self, key: str) -> Fields | None:
        """The object under ``key`` (or ``None``), read as strictly."""
        value = self.mapping(key)
        return None if value is None else Fields(value, path=f"{self.path}{key}.", root=self.root)

    def items(self, key: str) -> list[Fields]:
        """A list of objects, each read as strictly."""
        value = self.doc.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "a list of objects")
        return [
            Fields(v, path=f"{self.path}{key}[{i}].", root=self.root) for i, v in enumerate(value)
        ]
