"""The worthies' association (乡贤会): its advice and donations to the village's matters and
projects (issue 9 point 10).

Each entry says from whom, what, for which matter (or a project named in words), how much (a
donation of money, in yuan) and when. Entries are records of what was given: a mistake is put
right by a new entry, never by editing one. They name people: never public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.matters import MAX_TEXT
from village_app.i18n import N_

#: The document type of an entry (beside those of :class:`~village_app.domain.DocType`).
CONTRIBUTION: Final = "contribution"
#: The kinds of entry and what each is called (msgids).
CONTRIBUTION_KINDS: Final[dict[str, str]] = {"advice": N_("建议"), "donation": N_("捐赠")}
#: The largest amount one entry records (yuan): a typo of extra zeros stops here.
MAX_AMOUNT: Final = 100_000_000
_MAX_LINE: Final = 200


@dataclass(frozen=True)
class Contribution:
    kind: str  # advice | donation
    giver: str  # from whom (a worthy, by name)
    what: str  # the advice, or what was given
    given_on: date
    matter: str | None = None  # the matter it supports
    project: str = ""  # or a project named in words
    amount: int | None = None  # yuan, for a donation of money
    id: str = ""
    created_at: str = ""
    created_by: str = ""


def check_contribution(entry: Contribution, problems: Problems | None = None) -> Contribution:
    """Every field's error at once (with those already in ``problems``)."""
    problems = problems if problems is not None else Problems()
    if entry.kind not in CONTRIBUTION_KINDS:
        problems.add(ValidationError(N_("请选择建议或捐赠"), field="kind"))
    if not entry.giver.strip() and not problems.about("giver"):
        problems.add(ValidationError(N_("请填写是谁提出或捐赠的"), field="giver"))
    if len(entry.giver) > _MAX_LINE:
        problems.add(
            ValidationError(N_("内容不能超过%(max)s字"), {"max": _MAX_LINE}, field="giver")
        )
    if not entry.what.strip() and not problems.about("what"):
        problems.add(ValidationError(N_("请填写建议内容或捐赠了什么"), field="what"))
    if len(entry.what) > MAX_TEXT:
        problems.add(ValidationError(N_("内容不能超过%(max)s字"), {"max": MAX_TEXT}, field="what"))
    if not entry.matter and not entry.project.strip() and not problems.about("matter", "project"):
        problems.add(ValidationError(N_("请选择支持的事项，或填写项目名称"), field="matter"))
    if len(entry.project) > _MAX_LINE:
        problems.add(
            ValidationError(N_("内容不能超过%(max)s字"), {"max": _MAX_LINE}, field="project")
        )
    if entry.amount is not None:
        if entry.kind == "advice":
            problems.add(ValidationError(N_("建议不填写金额"), field="amount"))
        elif not 0 < entry.amount <= MAX_AMOUNT:
            problems.add(
                ValidationError(
                    N_("金额应在 1 到 %(max)s 元之间"), {"max": MAX_AMOUNT}, field="amount"
                )
            )
    problems.raise_any()
    return Contribution(
        kind=entry.kind,
        giver=entry.giver.strip(),
        what=entry.what.strip(),
        given_on=entry.given_on,
        matter=entry.matter or None,
        project=entry.project.strip(),
        amount=entry.amount,
        id=entry.id,
        created_at=entry.created_at,
        created_by=entry.created_by,
    )
