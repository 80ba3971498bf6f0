"""Finding things: one piece of text looked for in the village's records, grouped by kind
(from the in-process :mod:`~village_app.repo.search_index`)."""

from __future__ import annotations

from dataclasses import dataclass

from village_app.repo._base import StoreBase
from village_app.repo.search_index import (
    CEREMONY,
    KINDS,
    Hit,
    SearchIndex,
    hit,
    normalize_query,
)


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    hits: tuple[Hit, ...]  # the newest ``per_kind``
    total: int  # how many matched in all


@dataclass(frozen=True)
class SearchResults:
    query: str
    groups: tuple[SearchGroup, ...]  # kinds with at least one match, in KINDS order
    #: Titles of the matters the hits belong to (stage records and supervision are named by them).
    matter_titles: dict[str, str]

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


class SearchRecords(StoreBase):
    def _search_index(self) -> SearchIndex:
        index = self.caches.search
        if index is None or index.db is not self.db:
            index = self.caches.search = SearchIndex(self.db, self.village)
        return index

    async def search(
        self, text: str, *, ceremonies: bool = False, per_kind: int = 20
    ) -> SearchResults:
        """Records whose text contains ``text`` (case-insensitive, whitespace collapsed), newest
        first, at most ``per_kind`` of each kind. ``ceremonies``: also the 红白事 register, which
        names families (the caller admits only the secretary)."""
        query = normalize_query(text)
        if not query:
            return SearchResults("", (), {})
        index = self._search_index()
        await index.current()
        folded = query.lower()
        groups = []
        titles: dict[str, str] = {}
        for kind in KINDS:
            if kind == CEREMONY and not ceremonies:
                continue
            found, total = index.matching(kind, query, per_kind)
            if not total:
                continue
            hits = tuple(hit(e, folded) for e in found)
            for h in hits:
                title = index.matter_title(h.entry.matter)
                if h.entry.matter and title is not None:
                    titles[h.entry.matter] = title
            groups.append(SearchGroup(kind, hits, total))
        return SearchResults(query, tuple(groups), titles)

    async def warm_up_search(self) -> None:
        """Build the search index now (at start-up), so the first search does not pay for it."""
        await self._search_index().current()
