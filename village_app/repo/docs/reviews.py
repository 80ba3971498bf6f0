"""County reviews as documents (``review:<village>:<ULID>``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import DocType
from village_app.domain.dates import utc_stamp
from village_app.domain.reviews import DECISIONS, Review
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc
from village_app.repo.docs._fields import Fields


def review_to_doc(village: str, review: Review, actor: Actor, docid: str = "") -> Doc:
    doc = base_doc(DocType.REVIEW, village, docid or actor.new_id(DocType.REVIEW, village), actor)
    doc.update(
        matter_id=review.matter_id,
        decision=review.decision,
        comment=review.comment,
        stage_comments=dict(review.stage_comments),
        records=list(review.records),
    )
    return doc


def review_from_doc(doc: Mapping[str, Any]) -> Review:
    f = Fields.of(doc, DocType.REVIEW)
    matter_id = f.reference("matter_id")
    if not matter_id:
        raise f.fail("matter_id", "the reviewed matter's id")
    decision = f.text("decision", None)
    if decision not in DECISIONS:
        raise f.fail("decision", " or ".join(DECISIONS))
    comments = f.mapping("stage_comments") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in comments.items()):
        raise f.fail("stage_comments", "texts by stage")
    created_at = utc_stamp(f.required_moment("created_at"))
    return Review(
        matter_id=matter_id,
        decision=decision,
        comment=f.text("comment"),
        stage_comments=dict(comments),
        records=tuple(f.texts("records")) if "records" in doc else (),
        id=str(doc["_id"]),
        created_at=created_at,
        created_by=f.text("created_by"),
    )
