"""Matters (事项): what gets decided. Major matters follow 四议两公开, council matters
their council's five steps (see :mod:`procedure`). A matter is an editable record
(title, summary); everything that happens to it is append-only evidence."""

from __future__ import annotations

from dataclasses import dataclass, replace

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.organisation import SENSITIVE_BODIES, BodyKind, named_body
from village_app.domain.procedure import (
    COMPLETED,
    PRIVATE_COUNCIL,
    MatterKind,
    allowed_matter_bodies,
    matter_kind,
)
from village_app.i18n import N_

MAX_TITLE = 120
MAX_TEXT = 20_000
#: The years a matter may be filed under (its 年度).
_FIRST_YEAR, _LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Matter:
    kind: str  # MatterKind
    title: str
    body: str  # who brings it: the party branch (major) or a council
    year: int
    summary: str = ""
    category: str = ""  # e.g. 道路, 水利, 集体资金 (free text)
    commendation: bool = False  # moral review only: published as a commendation (红榜)
    stage: str = ""  # the next stage to do, or "completed"; kept up to date by the store
    id: str = ""
    village: str = ""
    created_at: str = ""
    created_by: str = ""
    rev: str = ""  # the revision read (editable document)
    conflicts: tuple[str, ...] = ()  # conflicting revisions, for the UI to resolve

    @property
    def sensitive(self) -> bool:
        """Records of this matter name private people (moral review)."""
        return self.body in SENSITIVE_BODIES

    @property
    def major(self) -> bool:
        return self.kind == MatterKind.MAJOR

    @property
    def completed(self) -> bool:
        return self.stage == COMPLETED

    @property
    def procedure(self) -> str:
        """Which stages it goes through (``stages_for``): its kind's, but a private moral
        review matter has no public stage (only a commendation is published)."""
        return PRIVATE_COUNCIL if self.sensitive and not self.commendation else self.kind

    @property
    def may_commend(self) -> bool:
        """Whether its result may be published as a commendation (红榜)."""
        return commendable_body(self.body)


def commendable_body(body: str) -> bool:
    """Only the moral review council's matters may be published as commendations (红榜)."""
    return body == BodyKind.MORAL_REVIEW_COUNCIL


def validate_matter(matter: Matter, problems: Problems | None = None) -> Matter:
    """Check and normalise a matter (strips the texts; a major matter's body is the party
    branch). Every field's error is raised at once (with those already in ``problems``)."""
    problems = problems if problems is not None else Problems()
    kind = matter_kind(matter.kind)
    title = matter.title.strip()
    if not title and not problems.about("title"):
        problems.add(ValidationError(N_("请填写事项名称"), field="title", ids=[matter.id]))
    if len(title) > MAX_TITLE:
        problems.add(
            ValidationError(N_("事项名称不能超过%(max)s字"), {"max": MAX_TITLE}, field="title")
        )
    if len(matter.summary) > MAX_TEXT:
        problems.add(
            ValidationError(N_("内容不能超过%(max)s字"), {"max": MAX_TEXT}, field="summary")
        )
    body = matter.body or (BodyKind.PARTY_BRANCH if kind is MatterKind.MAJOR else "")
    if body not in allowed_matter_bodies(kind):
        if kind is MatterKind.MAJOR:
            problems.add(ValidationError(N_("重大事项由村党支部提议"), field="body"))
        else:
            problems.add(
                ValidationError(
                    N_("请选择议事会（村民议事会、红白理事会、道德评议会或乡贤会）"), field="body"
                )
            )
    if (
        isinstance(matter.year, bool)
        or not isinstance(matter.year, int)
        or not _FIRST_YEAR <= matter.year <= _LAST_YEAR
    ) and not problems.about("year"):
        problems.add(
            ValidationError(
                N_("年度应在 %(first)s 年到 %(last)s 年之间"),
                {"first": _FIRST_YEAR, "last": _LAST_YEAR},
                field="year",
            )
        )
    if matter.commendation and not commendable_body(body) and not problems.about("body"):
        problems.add(
            ValidationError(
                N_("只有道德评议会的事项可作为红榜公开（此事项属于%(body)s）"),
                {"body": named_body(body)},
                field="commendation",
            )
        )
    problems.raise_any()
    return replace(
        matter,
        kind=str(kind),
        title=title,
        body=str(body),
        summary=matter.summary.strip(),
        category=matter.category.strip(),
    )
