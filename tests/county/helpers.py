"""Village databases on the test peer for the indexer tests, named under one prefix per test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sync.couch_server import CouchServer
from village_app.county.indexer import CountyIndexer
from village_app.demo.county import village_docs

Doc = dict[str, Any]


@dataclass(frozen=True)
class Villages:
    """Writes village databases ``<prefix><code>`` through ``url`` (the peer, or a proxy in
    front of it) and makes indexers that follow them into ``folder``."""

    url: str
    prefix: str
    folder: Path

    def via(self, url: str) -> Villages:
        """The same villages, written through another address (a proxy)."""
        return replace(self, url=url)

    def name(self, code: str) -> str:
        return self.prefix + code

    def indexer(self, folder: Path | None = None, **options: Any) -> CountyIndexer:
        """An indexer of these villages over ``url``, into ``folder`` (or another);
        fast back-off."""
        options.setdefault("backoff_initial", 0.05)
        options.setdefault("backoff_max", 0.5)
        return CountyIndexer(self.url, folder or self.folder, prefix=self.prefix, **options)

    async def add(self, code: str, *, matters: int = 8, seed: int = 0) -> list[Doc]:
        """A new village database holding a generated village; returns its documents."""
        docs = village_docs(code, matters=matters, seed=seed)
        async with CouchServer(self.url) as server:
            await server.create_db(self.name(code))
        await self.put(code, docs)
        return docs

    async def put(self, code: str, docs: Sequence[Doc]) -> list[Doc]:
        """Write documents (an edit carries its ``_rev``); each must be accepted, and gets
        its new ``_rev``."""
        async with CouchServer(self.url) as server:
            db = await server.database(self.name(code), create=False)
            try:
                results = await db.bulk_docs(list(docs))
            finally:
                await db.close()
        refused = [r for r in results if not r.get("ok")]
        assert refused == [], refused
        for doc, result in zip(docs, results, strict=True):
            doc["_rev"] = result["rev"]
        return results

    async def delete(self, code: str) -> None:
        async with CouchServer(self.url) as server:
            await server.delete_db(self.name(code))

    async def get(self, code: str, docid: str) -> Doc:
        async with CouchServer(self.url) as server:
            db = await server.database(self.name(code), create=False)
            try:
                doc: Doc = await db.get(docid)
            finally:
                await db.close()
        return doc


def matters_of(docs: Sequence[Doc]) -> dict[str, Doc]:
    return {d["_id"]: d for d in docs if d["type"] == "matter"}


def stage_counts(docs: Sequence[Doc]) -> dict[str, int]:
    """What the generator wrote as each matter's stage (the store's own ``stage`` field)."""
    counts: dict[str, int] = {}
    for matter in matters_of(docs).values():
        counts[matter["stage"]] = counts.get(matter["stage"], 0) + 1
    return counts
