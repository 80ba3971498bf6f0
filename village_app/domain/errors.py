"""Named errors of the domain.

Every broken rule raises one of these. Each carries a stable ``code`` (for logs,
tests and templates); what to tell the secretary as a ``msgid`` (the Chinese source
text with ``%(name)s`` placeholders, marked with :func:`~village_app.i18n.N_` so that
it is extracted into the catalog) and its ``params``; the form ``field`` it concerns
(a flat name such as ``"present"`` or ``"in_favour"``, see the map in
:mod:`village_app.domain`); and the ids of the records it is about. ``status`` is the
HTTP status that fits, so the web layer maps every domain error to a response in one
place, in the request's language (:meth:`DomainError.message`). ``str()`` is the English
text from the same catalog, for logs and the command line.

    raise VoteArithmetic(
        N_("实到人数（%(present)s）不能超过应到人数（%(expected)s）"),
        {"present": 31, "expected": 30},
        field="present",
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TypeVar

from village_app import i18n
from village_app.i18n import Message, Param

T = TypeVar("T")


class DomainError(Exception):
    """Base of every domain error."""

    code = "domain_error"
    status = 422

    def __init__(
        self,
        msgid: str,
        params: Mapping[str, Param] | None = None,
        *,
        field: str | None = None,
        ids: Iterable[str] = (),
    ) -> None:
        self.msgid = msgid
        self.params: dict[str, Param] = dict(params or {})
        self.field = field
        self.ids = tuple(ids)
        super().__init__(msgid, self.params)

    @property
    def text(self) -> Message:
        return Message(self.msgid, self.params)

    def message(self, locale: str = i18n.DEFAULT_LOCALE) -> str:
        """The message in ``locale`` (a locale code, Chinese by default), from the catalog."""
        return i18n.translate(self.text, locale)

    def __str__(self) -> str:
        english = self.message("en")
        ids = [i for i in self.ids if i]
        return f"{english} [{', '.join(ids)}]" if ids else english

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r}, ids={self.ids!r}, {self.msgid!r})"


class ValidationError(DomainError):
    """A field is missing, malformed or out of range."""

    code = "validation"


class NotQuorate(DomainError):
    """Fewer people present than the body's quorum rule needs."""

    code = "not_quorate"


class VoteRejected(DomainError):
    """The vote did not reach the body's majority (raised only when a caller asks to refuse failures)."""

    code = "vote_rejected"


class VoteArithmetic(DomainError):
    """Vote or attendance counts that cannot be: more votes than people present, negatives..."""

    code = "vote_arithmetic"


class StageOrder(DomainError):
    """A stage recorded out of the procedure's order (skipped, repeated, or too early)."""

    code = "stage_order"
    status = 409


class InvalidAttachment(DomainError):
    """An upload that is not a JPEG, PNG or PDF by its content, or is empty."""

    code = "invalid_attachment"


class AttachmentTooLarge(InvalidAttachment):
    code = "attachment_too_large"
    status = 413


class Ineligible(DomainError):
    """A person who may not sit on a body (e.g. supervision vs. the villagers' committee)."""

    code = "ineligible"


class CorrectionInvalid(DomainError):
    """A correction that does not meet the append-only rules (no reason, stale target...)."""

    code = "correction_invalid"
    status = 409


class StatusTransition(DomainError):
    """A supervision entry moving to a status it may not reach (e.g. after it was closed)."""

    code = "status_transition"
    status = 409


class NotFound(DomainError):
    """A record that does not exist in this village."""

    code = "not_found"
    status = 404


class EditConflict(DomainError):
    """An editable record (matter, roster) changed since it was read, or has conflicting versions."""

    code = "edit_conflict"
    status = 409


class RetriesExhausted(EditConflict):
    """A write that kept conflicting with writes made at the same moment, and was given up."""

    code = "retries_exhausted"


class RecordUnreadable(DomainError):
    """A stored record that does not have the shape of its type (it is quarantined)."""

    code = "record_unreadable"
    status = 422


class Invalid(ValidationError):
    """Several fields wrong at once (``errors``: one per field, in the order they were found),
    so a form shows every one of them beside its field instead of one a submission. The
    first error's message and field stand for the whole (logs, the command line)."""

    code = "invalid"

    def __init__(self, errors: Sequence[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.msgid, first.params, field=first.field, ids=first.ids)
        self.errors = tuple(errors)

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


class Problems:
    """The errors of checks that do not depend on each other, gathered so that they are all
    reported together. A check runs inside :meth:`check` (or :meth:`value`); what it raises
    is noted, and :meth:`raise_any` raises them at the end: the one error as itself, several
    as :class:`Invalid`. Only the first error about each field is kept (what went wrong first
    is what to fix first)."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, exc: DomainError) -> None:
        found = exc.errors if isinstance(exc, Invalid) else (exc,)
        for error in found:
            if not self.about(error.field or ""):
                self.errors.append(error)

    def about(self, *fields: str) -> bool:
        """Whether any of ``fields`` already has an error (a check that would only repeat it
        in other words is skipped)."""
        return any((e.field or "") in fields for e in self.errors)

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except DomainError as exc:
            self.add(exc)

    def value(self, read: Callable[[], T], default: T) -> T:
        """``read()``, or ``default`` with its error noted."""
        try:
            return read()
        except DomainError as exc:
            self.add(exc)
            return default

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise Invalid(self.errors)
