"""使用帮助: a short page for each area of the field app, in the app itself (a village
laptop is mostly offline, so no help can live on a website). Each page says what the area
is for and how its forms are filled in, in the words its pages use; the procedure's stages
and what the law asks of each come from the stage specs, the same lines the stage forms
show (:attr:`village_app.domain.procedure.StageSpec.hint`)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from village_app.domain.procedure import COUNCIL_STAGES, MAJOR_STAGES, StageSpec
from village_app.i18n import N_
from village_app.web.errors import PageNotFound
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route
from village_app.web.state import app_state


@dataclass(frozen=True)
class HelpArea:
    key: str
    title: str  # a msgid, as is the summary
    summary: str
    #: The area's own page: its route name ("" for none), its name in the menu (a msgid),
    #: and whether only the secretary may open it.
    page: str = ""
    page_label: str = ""
    secretary_only: bool = False


AREAS: tuple[HelpArea, ...] = (
    HelpArea(
        "matters",
        N_("事项与四议两公开"),
        N_("新建事项，按阶段登记会议和公开，填错了怎么更正。"),
        "matters",
        N_("事项"),
    ),
    HelpArea(
        "councils",
        N_("组织与成员"),
        N_("一核多会的组织、章程和议事规则，成员的添加和离任。"),
        "councils",
        N_("组织与成员"),
    ),
    HelpArea(
        "supervision",
        N_("村务监督"),
        N_("登记监督发现的问题和跟进情况。"),
        "supervision",
        N_("村务监督"),
    ),
    HelpArea(
        "ceremonies",
        N_("红白事登记"),
        N_("登记婚丧事宜，对照本村简办标准。"),
        "ceremonies",
        N_("红白事"),
        secretary_only=True,
    ),
    HelpArea("sync", N_("同步到县里"), N_("把本村的记录送到县里，取回县里的审核意见。")),
)
_BY_KEY = {a.key: a for a in AREAS}


@dataclass(frozen=True)
class HelpPage:
    areas: tuple[HelpArea, ...]
    #: The area shown; ``None`` on the index.
    area: HelpArea | None
    major_stages: tuple[StageSpec, ...] = MAJOR_STAGES
    council_stages: tuple[StageSpec, ...] = COUNCIL_STAGES
    #: The village's code and file, for the sync commands ("" while the data folder has none).
    village: str = ""
    village_file: str = ""


async def help_index(request: Request) -> Response:
    return render(request, "help.html", HelpPage(AREAS, None))


async def help_area(request: Request) -> Response:
    key = request.path_params["area"]
    area = _BY_KEY.get(key)
    if area is None:
        raise PageNotFound("help", key)
    state = app_state(request)
    village = state.village or ""
    # As the data folder was given to ``serve`` (``data/…`` by default): the same path works
    # in the command, run from where ``serve`` was.
    village_file = str(state.settings.data_dir / f"{village}.sqlite") if village else ""
    page = HelpPage(AREAS, area, village=village, village_file=village_file)
    return render(request, "help.html", page)


routes = [
    route("/help", help_index, name="help", access=SIGNED_IN),
    route("/help/{area}", help_area, name="help_area", access=SIGNED_IN),
]
