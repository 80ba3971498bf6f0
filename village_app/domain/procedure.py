"""The procedures: 四议两公开 for major matters, and a council's own five steps.

Stages come in a fixed order and none is skipped. A stage is *done* when one of
its (effective) records succeeded; a failed meeting (not quorate, or the vote
rejected) is kept as evidence but does not advance the matter, and the same
stage may be held again. Each :class:`StageSpec` says which body holds the
stage and which record fields it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from village_app.domain.errors import StageOrder, ValidationError
from village_app.domain.organisation import COUNCILS, BodyKind
from village_app.i18n import N_, Message


class MatterKind(StrEnum):
    MAJOR = "major"  # 村级重大事项, 四议两公开
    COUNCIL = "council"  # 议事会事项


#: Stand-in for "the matter's own council" in council stage specs.
OWN_COUNCIL = "own_council"
#: The stage key of a matter whose every stage is done.
COMPLETED = "completed"


@dataclass(frozen=True)
class StageSpec:
    key: str
    number: int
    name: str  # a msgid, as are the labels
    bodies: tuple[str, ...] = ()  # who holds it; () for the publications
    meeting: bool = False  # a meeting with attendance is required
    vote: bool = False  # a vote is required (it is optional at any other meeting)
    text_label: str = N_("内容")
    text_required: bool = True
    publication: bool = False  # where / when / text instead of a meeting
    township_staff: bool = False  # township staff attend (列席) and are named on the record
    #: One line under the stage's title: what the law (or common practice) asks of it. A msgid.
    hint: str = ""

    def allowed_bodies(self, matter_body: str) -> tuple[str, ...]:
        return tuple(matter_body if b == OWN_COUNCIL else b for b in self.bodies)


MAJOR_STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        "proposal",
        1,
        N_("党支部会提议"),
        bodies=(BodyKind.PARTY_BRANCH,),
        meeting=True,
        text_label=N_("提议内容"),
        hint=N_("村党支部在听取党员和群众意见的基础上开会研究，提出初步方案。"),
    ),
    StageSpec(
        "consultation",
        2,
        N_("两委会商议"),
        bodies=(BodyKind.TWO_COMMITTEES,),
        meeting=True,
        text_label=N_("商议意见"),
        hint=N_("村党支部委员会和村民委员会召开联席会议，对提议共同商议，形成意见。"),
    ),
    StageSpec(
        "review",
        3,
        N_("党员大会审议"),
        bodies=(BodyKind.PARTY_MEMBERS,),
        meeting=True,
        vote=True,
        text_label=N_("审议意见"),
        text_required=False,
        township_staff=True,
        hint=N_("召开党员大会审议方案，到会人数和赞成票须达到规定；列席的乡镇干部一并登记。"),
    ),
    StageSpec(
        "resolution",
        4,
        N_("村民会议或村民代表会议决议"),
        bodies=(BodyKind.REPRESENTATIVES, BodyKind.VILLAGERS_MEETING),
        meeting=True,
        vote=True,
        text_label=N_("决议内容"),
        township_staff=True,
        hint=N_(
            "提交村民会议或村民代表会议表决：到会人数须达到法定要求，由出席人员过半数同意通过（村民委员会组织法第二十二、二十六条）。"
        ),
    ),
    StageSpec(
        "resolution_publication",
        5,
        N_("决议公开"),
        publication=True,
        text_label=N_("公开内容"),
        hint=N_(
            "决议通过后及时在村务公开栏等处公告，接受村民监督（村民委员会组织法第三十条）；留存张贴照片。"
        ),
    ),
    StageSpec(
        "result_publication",
        6,
        N_("实施结果公开"),
        publication=True,
        text_label=N_("实施结果"),
        hint=N_("事项实施后，把实施结果向村民公开，接受群众和村务监督委员会监督。"),
    ),
)

COUNCIL_STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        "council_proposal",
        1,
        N_("提议"),
        bodies=(OWN_COUNCIL,),
        text_label=N_("提议内容"),
        hint=N_("由议事会成员或村民提出议题，写明要商议的事项。"),
    ),
    StageSpec(
        "deliberation",
        2,
        N_("议事会议"),
        bodies=(OWN_COUNCIL,),
        meeting=True,
        text_label=N_("会议纪要"),
        hint=N_("按章程召集议事会会议讨论议题，到会人数须达到章程规定，记下会议纪要。"),
    ),
    StageSpec(
        "council_vote",
        3,
        N_("表决"),
        bodies=(OWN_COUNCIL,),
        meeting=True,
        vote=True,
        text_label=N_("表决事项"),
        text_required=False,
        hint=N_("按章程规定的到会人数和赞成比例表决；未达到的，可以重新开会。"),
    ),
    StageSpec(
        "council_resolution",
        4,
        N_("形成决议"),
        bodies=(OWN_COUNCIL,),
        text_label=N_("决议内容"),
        hint=N_("根据表决结果写成决议，由议事会负责落实。"),
    ),
    StageSpec(
        "council_publication",
        5,
        N_("公开"),
        publication=True,
        text_label=N_("公开内容"),
        hint=N_("把决议向村民公开；道德评议会点名批评的事项不公开，只公开表彰。"),
    ),
)

#: Stage keys whose records are publications (public on the kiosk, see publicity).
PUBLICATION_STAGES: frozenset[str] = frozenset(
    s.key for s in (*MAJOR_STAGES, *COUNCIL_STAGES) if s.publication
)
#: A matter whose stage (the next to do) is one of these has published its resolution.
PUBLISHED_MATTER_STAGES: frozenset[str] = frozenset({"result_publication", COMPLETED})

#: Stage key (or :data:`COMPLETED`) -> its name (a msgid).
STAGE_NAMES: dict[str, str] = {
    **{s.key: s.name for s in (*MAJOR_STAGES, *COUNCIL_STAGES)},
    COMPLETED: N_("已完成"),
}


def matter_kind(value: str) -> MatterKind:
    try:
        return MatterKind(value)
    except ValueError:
        raise ValidationError(
            N_("未知的事项类别：%(kind)s"), {"kind": value}, field="kind"
        ) from None


#: The procedure of a moral review matter that is not a commendation (``Matter.procedure``):
#: it names people, so it has no public stage and no notice (only a commendation is published).
PRIVATE_COUNCIL = "council_private"
PRIVATE_COUNCIL_STAGES: tuple[StageSpec, ...] = tuple(
    s for s in COUNCIL_STAGES if not s.publication
)


def stages_for(kind: str) -> tuple[StageSpec, ...]:
    """The stages of a matter's procedure: ``kind``, or :attr:`Matter.procedure`."""
    if kind == PRIVATE_COUNCIL:
        return PRIVATE_COUNCIL_STAGES
    return MAJOR_STAGES if matter_kind(kind) is MatterKind.MAJOR else COUNCIL_STAGES


def stage_spec(kind: str, key: str) -> StageSpec:
    for spec in stages_for(kind):
        if spec.key == key:
            return spec
    raise ValidationError(N_("此类事项没有“%(stage)s”阶段"), {"stage": key}, field="stage")


def allowed_matter_bodies(kind: str) -> tuple[str, ...]:
    """Who brings a matter: the party branch (major), or one of the councils."""
    if matter_kind(kind) is MatterKind.MAJOR:
        return (BodyKind.PARTY_BRANCH,)
    return tuple(COUNCILS)


def next_stage(kind: str, done: Iterable[str]) -> StageSpec | None:
    """The first stage not yet done (``None`` once all are)."""
    finished = set(done)
    for spec in stages_for(kind):
        if spec.key not in finished:
            return spec
    return None


def current_stage_key(kind: str, done: Iterable[str]) -> str:
    """The key to file a matter under: its next stage, or :data:`COMPLETED`."""
    spec = next_stage(kind, done)
    return spec.key if spec else COMPLETED


def check_stage_allowed(
    kind: str, done: Iterable[str], stage: str, *, matter_id: str = ""
) -> StageSpec:
    """The spec of ``stage`` if it is the one to record now, else :class:`StageOrder`."""
    spec = stage_spec(kind, stage)
    finished = set(done)
    ids = [matter_id] if matter_id else []
    if stage in finished:
        raise StageOrder(
            N_("“%(stage)s”阶段已完成；如有错误请提交更正"),
            {"stage": Message(spec.name)},
            field="stage",
            ids=ids,
        )
    expected = next_stage(kind, finished)
    if expected is None or expected.key != stage:
        raise StageOrder(
            N_("不能跳过阶段：请先完成“%(stage)s”"),
            {"stage": Message(expected.name) if expected else ""},
            field="stage",
            ids=ids,
        )
    return spec
