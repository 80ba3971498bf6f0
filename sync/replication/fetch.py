"""Fetching the revisions the target lacks, with their history and attachments.

One ``_bulk_get`` per batch where the source has it; otherwise (CouchDB before
2.0, or a server answering 400/404/405/501 to it) one ``open_revs`` GET per
document, a few at a time, which is what CouchDB's own replicator does.
Revisions that vanished from the source meanwhile (compaction, purge) are
skipped: the next run will see the revision that replaced them. Anything else
the source answers must be what was asked (see :class:`RevisionFetcher`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sync.database import Database, Doc
from sync.errors import (
    AnswerTooLargeError,
    BadRequestError,
    NotFoundError,
    PeerError,
    peer_text,
)
from sync.replication.answers import (
    MalformedAnswerError,
    RevisionUnavailableError,
    covers,
    fetched_doc,
)


class RevisionFetcher:
    """Fetches missing revisions from one source; remembers whether ``_bulk_get`` works.

    Every answer is checked against what was asked (:func:`fetched_doc`), each asked
    revision must come back, as a document or as an error; an answer too large to read
    is asked again in halves, as CouchDB's replicator splits a request too large."""

    def __init__(self, source: Database, *, concurrency: int) -> None:
        self.source = source
        self.concurrency = concurrency
        self.bulk_get_supported = True

    async def fetch(
        self,
        missing: Mapping[str, list[str]],
        atts_since: Mapping[str, list[str]] | None = None,
    ) -> list[Doc]:
        """The revisions of ``missing`` with their history and attachments. An attachment
        already in one of ``atts_since[docid]`` (revisions the target holds, on the path of
        the one fetched) comes as a stub where the source honours ``atts_since`` in
        ``_bulk_get`` (CouchDB and the embedded store do; pouchdb-server sends the data)."""
        if not missing:
            return []
        if self.bulk_get_supported:
            try:
                return await self._bulk_get(missing, atts_since or {})
            except AnswerTooLargeError as exc:
                first, second = _halves(missing, exc)
                return [
                    *await self.fetch(first, atts_since),
                    *await self.fetch(second, atts_since),
                ]
            except (NotFoundError, BadRequestError, PeerError) as exc:
                if isinstance(exc, MalformedAnswerError) or not _lacks_endpoint(exc):
                    raise
                self.bulk_get_supported = False
        return await self._open_revs(missing)

    async def _bulk_get(
        self, missing: Mapping[str, list[str]], atts_since: Mapping[str, list[str]]
    ) -> list[Doc]:
        requests: list[dict[str, Any]] = []
        for asked_id, revs in missing.items():
            since = {"atts_since": atts_since[asked_id]} if asked_id in atts_since else {}
            requests += [{"id": asked_id, "rev": rev, **since} for rev in revs]
        answer = await self.source.bulk_get(requests, revs=True, attachments=True)
        where = self.source.location
        results = answer.get("results") if isinstance(answer, Mapping) else None
        if not isinstance(results, list):
            raise MalformedAnswerError(
                f"malformed answer from {where} to _bulk_get: no results list"
            )
        docs: list[Doc] = []
        answered: set[tuple[str, str]] = set()
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
                    doc = fetched_doc(item["ok"], docid, where, "_bulk_get", asked=missing[docid])
                    if (docid, doc["_rev"]) not in answered:
                        docs.append(doc)
                    answered.add((docid, doc["_rev"]))
                else:
                    answered.add((docid, _check_gone(item, docid, missing[docid], where)))
        _check_all_answered(missing, answered, where, "_bulk_get")
        return docs

    async def _open_revs(self, missing: Mapping[str, list[str]]) -> list[Doc]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(docid: str, revs: list[str]) -> list[Doc]:
            try:
                async with gate:
                    answer = await self.source.get(
                        docid, open_revs=revs, revs=True, attachments=True, latest=True
                    )
            except AnswerTooLargeError as exc:
                first, second = _halves({docid: revs}, exc)
                return [*await one(docid, first[docid]), *await one(docid, second[docid])]
            return _open_revs_docs(answer, docid, revs, self.source.location)

        batches = await asyncio.gather(*(one(d, r) for d, r in missing.items()))
        return [doc for batch in batches for doc in batch]


def _open_revs_docs(answer: Any, docid: str, asked: list[str], where: str) -> list[Doc]:
    """The documents of a ``latest=true`` ``open_revs`` answer: each the leaf of an asked
    revision, or ``{"missing": rev}`` for one that is gone; every asked revision accounted for."""
    call = "GET ?open_revs"
    if not isinstance(answer, list):
        raise MalformedAnswerError(f"malformed answer from {where} to {call}: not a list")
    docs = []
    answered: set[tuple[str, str]] = set()
    for item in answer:
        if isinstance(item, Mapping) and "ok" in item:
            doc = fetched_doc(item["ok"], docid, where, call, asked=asked, latest=True)
            docs.append(doc)
            answered.update((docid, rev) for rev in asked if covers(doc, rev))
        elif isinstance(item, Mapping) and item.get("missing") in asked:
            answered.add((docid, item["missing"]))
        else:
            raise MalformedAnswerError(
                f"malformed answer from {where} to {call}: an entry for {docid!r} that is "
                f"neither a revision asked for nor one missing: {str(item)[:80]}"
            )
    _check_all_answered({docid: asked}, answered, where, call)
    return docs


def _check_gone(item: Any, docid: str, asked: list[str], where: str) -> str:
    """The revision of a ``_bulk_get`` error entry for a revision gone meanwhile
    (``not_found``: the change that replaced it comes later in the feed); raise for any
    other error, or for an error about a revision that was not asked for."""
    if not isinstance(item, Mapping) or not isinstance(item.get("error"), Mapping):
        raise MalformedAnswerError(
            f"malformed answer from {where} to _bulk_get: an entry for {docid!r} "
            f"with neither ok nor error: {str(item)[:80]}"
        )
    error = item["error"]
    rev = error.get("rev")
    if rev not in asked:
        raise MalformedAnswerError(
            f"malformed answer from {where} to _bulk_get: an error for {docid!r} "
            f"about a revision that was not asked for: {peer_text(rev, 80)!r}"
        )
    if error.get("error") != "not_found":
        raise RevisionUnavailableError(
            f"{where} could not give {docid} {rev}: "
            f"{peer_text(error.get('error'), 60)}: {peer_text(error.get('reason'))}"
        )
    return str(rev)


def _check_all_answered(
    missing: Mapping[str, list[str]], answered: set[tuple[str, str]], where: str, call: str
) -> None:
    """A revision left out of the answer would be checkpointed past, never copied."""
    for docid, revs in missing.items():
        for rev in revs:
            if (docid, rev) not in answered:
                raise MalformedAnswerError(
                    f"malformed answer from {where} to {call}: {docid!r} {rev} left out"
                )


def _halves(
    missing: Mapping[str, list[str]], exc: AnswerTooLargeError
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The revisions of ``missing`` in two halves; one revision alone cannot be split, and
    the error then names it."""
    pairs = [(docid, rev) for docid, revs in missing.items() for rev in revs]
    if len(pairs) == 1:
        docid, rev = pairs[0]
        raise AnswerTooLargeError(
            f"{docid} {rev} is too large to fetch in one answer ({exc.reason})",
            docid=docid,
            rev=rev,
        ) from exc
    first: dict[str, list[str]] = {}
    second: dict[str, list[str]] = {}
    for i, (docid, rev) in enumerate(pairs):
        (first if i < len(pairs) // 2 else second).setdefault(docid, []).append(rev)
    return first, second


def _lacks_endpoint(exc: Exception) -> bool:
    """Whether an error from ``_bulk_get`` means the server does not have it."""
    if isinstance(exc, NotFoundError | BadRequestError):
        return True
    # 405 Method Not Allowed / 501 Not Implemented arrive as PeerError.
    return isinstance(exc, PeerError) and exc.http_status in (405, 501)
