"""Fetching the revisions the target lacks, with their history and attachments.

One ``_bulk_get`` per batch where the source has it; otherwise (CouchDB before
2.0, or a server answering 400/404/405/501 to it) one ``open_revs`` GET per
document, a few at a time, which is what CouchDB's own replicator does.
Revisions that vanished from the source meanwhile (compaction, purge) are
skipped: the next run will see the revision that replaced them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sync.database import Database, Doc
from sync.errors import BadRequestError, NotFoundError, PeerError
from sync.replication.answers import MalformedAnswerError, RevisionUnavailableError, fetched_doc


class RevisionFetcher:
    """Fetches missing revisions from one source; remembers whether ``_bulk_get`` works."""

    def __init__(self, source: Database, *, concurrency: int) -> None:
        self.source = source
        self.concurrency = concurrency
        self.bulk_get_supported = True

    async def fetch(self, missing: Mapping[str, list[str]]) -> list[Doc]:
        if not missing:
            return []
        if self.bulk_get_supported:
            try:
                return await self._bulk_get(missing)
            except (NotFoundError, BadRequestError, PeerError) as exc:
                if isinstance(exc, MalformedAnswerError) or not _lacks_endpoint(exc):
                    raise
                self.bulk_get_supported = False
        return await self._open_revs(missing)

    async def _bulk_get(self, missing: Mapping[str, list[str]]) -> list[Doc]:
        requests = [{"id": docid, "rev": rev} for docid, revs in missing.items() for rev in revs]
        answer = await self.source.bulk_get(requests, revs=True, attachments=True)
        where = self.source.location
        results = answer.get("results") if isinstance(answer, Mapping) else None
        if not isinstance(results, list):
            raise MalformedAnswerError(f"malformed answer from {where} to _bulk_get: no results list")
        docs: list[Doc] = []
        for result in results:
            if not isinstance(result, Mapping) or not isinstance(result.get("docs"), list):
                raise MalformedAnswerError(
                    f"malformed answer from {where} to _bulk_get: a result without docs"
                )
            docid = result.get("id")
            if not isinstance(docid, str) or docid not in missing:
                raise MalformedAnswerError(
                    f"malformed answer from {where} to _bulk_get: an id not asked for: {docid!r}"
                )
            for item in result["docs"]:
                if isinstance(item, Mapping) and "ok" in item:
                    docs.append(fetched_doc(item["ok"], docid, where, "_bulk_get"))
                else:
                    _check_gone(item, docid, where)
        return docs

    async def _open_revs(self, missing: Mapping[str, list[str]]) -> list[Doc]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(docid: str, revs: list[str]) -> list[Doc]:
            async with gate:
                answer = await self.source.get(
                    docid, open_revs=revs, revs=True, attachments=True, latest=True
                )
            return _open_revs_docs(answer, docid, self.source.location)

        batches = await asyncio.gather(*(one(d, r) for d, r in missing.items()))
        return [doc for batch in batches for doc in batch]


def _open_revs_docs(answer: Any, docid: str, where: str) -> list[Doc]:
    if not isinstance(answer, list):
        raise MalformedAnswerError(f"malformed answer from {where} to GET ?open_revs: not a list")
    docs = []
    for item in answer:
        if isinstance(item, Mapping) and "ok" in item:
            docs.append(fetched_doc(item["ok"], docid, where, "GET ?open_revs"))
    return docs


def _check_gone(item: Any, docid: str, where: str) -> None:
    """Pass a ``_bulk_get`` error entry for a revision gone meanwhile (``not_found``: the
    change that replaced it comes later in the feed); raise for any other."""
    if not isinstance(item, Mapping) or not isinstance(item.get("error"), Mapping):
        raise MalformedAnswerError(
            f"malformed answer from {where} to _bulk_get: an entry for {docid!r} "
            f"with neither ok nor error: {str(item)[:80]}"
        )
    error = item["error"]
    if error.get("error") != "not_found":
        raise RevisionUnavailableError(
            f"{where} could not give {docid} {error.get('rev')}: "
            f"{error.get('error')}: {error.get('reason')}"
        )


def _lacks_endpoint(exc: Exception) -> bool:
    """Whether an error from ``_bulk_get`` means the server does not have it."""
    if isinstance(exc, NotFoundError | BadRequestError):
        return True
    # 405 Method Not Allowed / 501 Not Implemented arrive as PeerError.
    return isinstance(exc, PeerError) and exc.http_status in (405, 501)
