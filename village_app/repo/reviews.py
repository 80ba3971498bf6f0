"""The county's reviews of a village's matters, as the village store reads them."""

from __future__ import annotations

from village_app.domain import DocType, Matter, NotFound
from village_app.domain.reviews import Review
from village_app.repo import docs
from village_app.repo.matters import MatterRecords


class ReviewRecords(MatterRecords):
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

    async def returned_matters(self) -> list[tuple[Matter, Review]]:
        """Matters the county returned (their standing review says 退回), with that review,
        newest first: what the secretary has to answer."""
        returned = []
        for review in (await self.latest_reviews()).values():
            if not review.returned:
                continue
            try:
                returned.append((await self.get_matter(review.matter_id), review))
            except NotFound:
                continue  # a review of a matter this laptop does not hold (yet)
        return sorted(returned, key=lambda pair: pair[1].created_at, reverse=True)
