"""The county's review of a matter: 备案 (recorded) or 退回 (returned), with comments.

County and township staff write reviews into the village's database; the laptop receives them
at its next pull and shows them on the matter page and the overview. A returned matter is
answered by the secretary with a correction, which goes back the same way. Reviews are
evidence of the county's decision: never edited, a later review supersedes an earlier one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from village_app.domain.errors import ValidationError
from village_app.i18n import N_

RECORDED: Final = "recorded"
RETURNED: Final = "returned"
DECISIONS: Final = (RECORDED, RETURNED)
DECISION_NAMES: Final = {RECORDED: N_("备案"), RETURNED: N_("退回")}
#: A comment is a few sentences, not a report.
MAX_COMMENT_CHARS: Final = 2000


@dataclass(frozen=True)
class Review:
    matter_id: str
    decision: str
    comment: str = ""
    #: Comments on single stages, by stage key ("resolution": "缺签到表").
    stage_comments: Mapping[str, str] = field(default_factory=dict)
    #: The ids of the records the reviewer saw: a record not among them is new to the county.
    records: tuple[str, ...] = ()
    id: str = ""
    created_at: str = ""
    created_by: str = ""

    @property
    def returned(self) -> bool:
        return self.decision == RETURNED

    @property
    def decision_name(self) -> str:
        return DECISION_NAMES.get(self.decision, self.decision)


def validate_review(review: Review) -> Review:
    if review.decision not in DECISIONS:
        raise ValidationError(N_("请选择备案或退回"), field="decision")
    texts = [review.comment, *review.stage_comments.values()]
    if any(len(t) > MAX_COMMENT_CHARS for t in texts):
        raise ValidationError(N_("意见过长（最多 2000 字）"), field="comment")
    if review.returned and not any(t.strip() for t in texts):
        raise ValidationError(N_("退回时请写明原因：写在总体意见或相应阶段下"), field="comment")
    return review
