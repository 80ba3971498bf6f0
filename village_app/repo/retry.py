"""One way to retry a write that conflicted with another made at the same moment.

A conflict here is two requests (or a request and a replication) writing the same document
between our read and our write: read again and try again, a few times, then give up loudly
with :class:`~village_app.domain.RetriesExhausted`. Nothing else is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

from sync.errors import ConflictError, error_for_status
from village_app.domain import RetriesExhausted
from village_app.i18n import N_

T = TypeVar("T")
log = logging.getLogger(__name__)

ATTEMPTS: Final = 3


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, what: str, ids: Iterable[str], attempts: int = ATTEMPTS
) -> T:
    """``attempt()`` (which reads afresh each time) until it does not raise
    :class:`~sync.errors.ConflictError`; after ``attempts`` conflicts, :class:`RetriesExhausted`
    (and a warning in the log naming ``what`` was being written)."""
    for _ in range(attempts):
        try:
            return await attempt()
        except ConflictError:
            continue
    log.warning("%s: still conflicting after %d attempts; given up", what, attempts)
    raise RetriesExhausted(N_("记录正被同时修改，未能保存，请重试"), ids=list(ids))


def raise_for_results(results: Sequence[dict[str, Any]]) -> None:
    """``bulk_docs`` answers per document: a conflict on any becomes :class:`ConflictError`
    (to be retried); any other refusal (``forbidden``, a validation...) is raised as the
    store's named error, never passed over."""
    for result in results:
        error = result.get("error")
        if error is None:
            continue
        reason, docid = str(result.get("reason", "")), result.get("id")
        if error == "conflict":
            raise ConflictError(reason, docid=docid)
        status = _STATUS_OF_ERROR.get(str(error), 500)
        raise error_for_status(status, reason, docid=docid, error=str(error))


#: CouchDB's per-document error names and the HTTP status each stands for.
_STATUS_OF_ERROR: Final = {
    "forbidden": 403,
    "unauthorized": 401,
    "bad_request": 400,
    "not_found": 404,
}
