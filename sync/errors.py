"""Named errors shared by every store, mirroring CouchDB's HTTP errors.

Each carries the document id (and revision) it is about, where there is one,
and builds on the Python exception closest in meaning, as aiocouch does.
"""

from __future__ import annotations

import re
import unicodedata


class CouchError(Exception):
    """Base of every store error. ``status`` is the HTTP status CouchDB would send."""

    status = 500
    error = "unknown_error"

    def __init__(
        self, reason: str = "", *, docid: str | None = None, rev: str | None = None
    ) -> None:
        self.reason = reason or self.error
        self.docid = docid
        self.rev = rev
        where = f" ({docid}{' @ ' + rev if rev else ''})" if docid else ""
        super().__init__(f"{self.error}: {self.reason}{where}")

    def to_json(self) -> dict[str, str]:
        return {"error": self.error, "reason": self.reason}


class BadRequestError(CouchError, ValueError):
    status = 400
    error = "bad_request"


class UnauthorizedError(CouchError, PermissionError):
    status = 401
    error = "unauthorized"


class ForbiddenError(CouchError, PermissionError):
    status = 403
    error = "forbidden"


class NotFoundError(CouchError, KeyError):
    status = 404
    error = "not_found"

    def __str__(self) -> str:  # KeyError would repr() the message
        return Exception.__str__(self)


class ConflictError(CouchError):
    status = 409
    error = "conflict"


class PreconditionFailedError(CouchError):
    """412: e.g. creating a database that already exists."""

    status = 412
    error = "file_exists"


class DocumentTooLargeError(BadRequestError):
    status = 413
    error = "document_too_large"


class PeerError(CouchError):
    """The peer answered with something the protocol does not allow (malformed JSON, 5xx).

    ``http_status`` is the status the peer answered with when the failure was an
    HTTP error status, and ``None`` when the answer itself was malformed.
    """

    status = 502
    error = "bad_peer_response"

    def __init__(
        self,
        reason: str = "",
        *,
        docid: str | None = None,
        rev: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(reason, docid=docid, rev=rev)
        self.http_status = http_status


class AnswerTooLargeError(PeerError):
    """The peer's answer grew past the bound on what one answer may hold in memory; the
    client stopped reading it. Asking again would bring the same answer: not retried."""

    error = "answer_too_large"


class NetworkError(CouchError, ConnectionError):
    """The peer could not be reached, or the connection broke mid-request."""

    status = 503
    error = "network_error"


class DeadlineError(NetworkError):
    """The peer did not finish its answer in time: silent, or sending it so slowly (a
    byte a second) that no read ever timed out. Retried, as any network failure."""

    status = 504
    error = "timeout"


class StorageFullError(CouchError, OSError):
    """The disk (or the database's size limit) is full: nothing of the write was kept."""

    status = 507
    error = "insufficient_storage"


class ReadOnlyStorageError(CouchError, PermissionError):
    """The database file or its folder cannot be written (a read-only folder or medium)."""

    status = 503
    error = "read_only"


_BY_STATUS: dict[int, type[CouchError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: DocumentTooLargeError,
}


def error_for_status(
    status: int,
    reason: str = "",
    *,
    docid: str | None = None,
    rev: str | None = None,
    error: str | None = None,
) -> CouchError:
    """The named error for an HTTP status (5xx and unknown codes become :class:`PeerError`)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return PeerError(reason, docid=docid, rev=rev, http_status=status)
    exc = cls(reason, docid=docid, rev=rev)
    if error:
        exc.error = error
    return exc


#: Escape sequences a terminal would act on (CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL``),
#: dropped whole so that what is left reads as text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")


def peer_text(value: object, limit: int = 300) -> str:
    """What a peer said (a ``reason``, a document id, a body), fit to print or log: escape
    sequences and control or format characters removed (a refusal's reason must not clear
    the screen or retitle the terminal), and at most ``limit`` characters."""
    # Cut before cleaning: a reason may be megabytes long; escapes only make it shorter.
    text = _ESCAPES.sub("", str(value)[: 4 * limit + 64])
    text = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"
