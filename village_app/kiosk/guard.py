"""The kiosk's own gate: whatever the county's public database sends, the kiosk's store takes
only what the allow-list passes (:func:`village_app.domain.publicity.check_public`, the same
list the county's validate_doc_update enforces).

:class:`GuardedStore` is the kiosk store as the replicator writes into it: each revision that
fails the list is answered as refused (the replicator counts it among ``denied`` and goes on)
and kept, untouched, in a separate quarantine store that no page reads, so that what arrived
can be looked at and the county told. The county's database is the first boundary; this is
the second, for a server misconfigured, an older county version, or someone in between."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sync.database import ChangesStyle, Database, Doc, OpenRevs
from sync.errors import ForbiddenError
from village_app.domain.publicity import check_public


class GuardedStore(Database):
    """``store`` with every replicated write checked against the allow-list; refused
    revisions go to ``quarantine``."""

    def __init__(self, store: Database, quarantine: Database, village: str) -> None:
        self.store = store
        self.quarantine = quarantine
        self.village = village
        self.name = store.name
        self.location = store.location
        self.refused = 0

    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[Doc]:
        passed, failures, kept = [], [], []
        for doc in docs:
            refusal = check_public(doc, self.village)
            if refusal is None:
                passed.append(doc)
                continue
            kept.append({k: v for k, v in doc.items() if k != "_attachments"})
            failures.append(
                {
                    "id": doc.get("_id"),
                    "rev": doc.get("_rev"),
                    "error": "forbidden",
                    "reason": f"not public ({refusal.reason}): kept aside by the kiosk",
                }
            )
        if kept:
            self.refused += len(kept)
            await self.quarantine.bulk_docs(kept, new_edits=False)
        answer = await self.store.bulk_docs(passed, new_edits=new_edits) if passed else []
        return [*answer, *failures]

    # -- everything else as the store does it ---------------------------------------------
    async def info(self) -> Doc:
        return await self.store.info()

    async def close(self) -> None:
        """The store and the quarantine belong to whoever opened them."""

    async def get(
        self,
        docid: str,
        *,
        rev: str | None = None,
        revs: bool = False,
        revs_info: bool = False,
        conflicts: bool = False,
        deleted_conflicts: bool = False,
        open_revs: OpenRevs | None = None,
        latest: bool = False,
        attachments: bool = False,
    ) -> Any:
        return await self.store.get(
            docid,
            rev=rev,
            revs=revs,
            revs_info=revs_info,
            conflicts=conflicts,
            deleted_conflicts=deleted_conflicts,
            open_revs=open_revs,
            latest=latest,
            attachments=attachments,
        )

    async def put(self, doc: Mapping[str, Any]) -> Doc:
        refusal = check_public(doc, self.village)
        if refusal is not None:
            raise ForbiddenError(f"not public ({refusal.reason})")
        return await self.store.put(doc)

    async def all_docs(
        self,
        *,
        keys: Sequence[str] | None = None,
        include_docs: bool = False,
        startkey: str | None = None,
        endkey: str | None = None,
        limit: int | None = None,
        skip: int = 0,
        descending: bool = False,
    ) -> Doc:
        return await self.store.all_docs(
            keys=keys,
            include_docs=include_docs,
            startkey=startkey,
            endkey=endkey,
            limit=limit,
            skip=skip,
            descending=descending,
        )

    async def changes(
        self,
        *,
        since: Any = 0,
        limit: int | None = None,
        style: ChangesStyle = "main_only",
        include_docs: bool = False,
        conflicts: bool = False,
        doc_ids: Sequence[str] | None = None,
        selector: Mapping[str, Any] | None = None,
        feed: Literal["normal", "longpoll"] = "normal",
        timeout: float | None = None,
    ) -> Doc:
        return await self.store.changes(
            since=since,
            limit=limit,
            style=style,
            include_docs=include_docs,
            conflicts=conflicts,
            doc_ids=doc_ids,
            selector=selector,
            feed=feed,
            timeout=timeout,
        )

    async def revs_diff(self, mapping: Mapping[str, Sequence[str]]) -> Doc:
        return await self.store.revs_diff(mapping)

    async def bulk_get(
        self, requests: Sequence[Mapping[str, Any]], *, revs: bool = True, attachments: bool = False
    ) -> Doc:
        return await self.store.bulk_get(requests, revs=revs, attachments=attachments)

    async def get_local(self, docid: str) -> Doc:
        return await self.store.get_local(docid)

    async def put_local(self, doc: Mapping[str, Any]) -> Doc:
        return await self.store.put_local(doc)

    async def delete_local(self, docid: str, rev: str | None = None) -> Doc:
        return await self.store.delete_local(docid, rev)

    async def revs_limit(self) -> int:
        return await self.store.revs_limit()

    async def set_revs_limit(self, n: int) -> None:
        await self.store.set_revs_limit(n)

    async def get_attachment(
        self, docid: str, name: str, *, rev: str | None = None
    ) -> tuple[bytes, str]:
        return await self.store.get_attachment(docid, name, rev=rev)

    async def put_attachment(
        self, docid: str, name: str, data: bytes, content_type: str, *, rev: str | None = None
    ) -> Doc:
        raise ForbiddenError("the kiosk keeps no attachments")

    async def find(
        self,
        selector: Mapping[str, Any],
        *,
        sort: Sequence[str | Mapping[str, str]] | None = None,
        limit: int | None = None,
        skip: int = 0,
        fields: Sequence[str] | None = None,
    ) -> Doc:
        return await self.store.find(selector, sort=sort, limit=limit, skip=skip, fields=fields)
