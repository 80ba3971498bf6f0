"""The county's reviews of a village's matters, as the village store reads them."""

from __future__ import annotations

from village_app.domain import DocType
from village_app.domain.reviews import Review
from village_app.repo import docs
from village_app.repo._base import StoreBase


class ReviewRecords(StoreBase):
    async def list_reviews(self, matter_id: str | None = None) -> list[Review]:
        """Reviews of one matter (or of all), oldest first; the last one stands."""
        selector: dict[str, str] = {"type": DocType.REVIEW}
        if matter_id is not None:
            selector["matter_id"] = matter_id
        found = self._read(await self._find_all(selector), docs.review_from_doc)
        return sorted(found, key=lambda r: (r.created_at, r.id))

    async def latest_reviews(self) -> dict[str, Review]:
        """Each reviewed matter's standing review (its latest), by matter id."""
        latest: dict[str, Review] = {}
        for review in await self.list_reviews():
            latest[review.matter_id] = review
        return latest
