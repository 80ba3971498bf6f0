"""The kiosk's pages: a home screen of large buttons, the published resolutions and results
(newest first, by year), the rosters, the village rules, the weddings-and-funerals standard and
this quarter's notice board. Every route is a GET open to anyone: the kiosk has no login and
nothing on it writes (the tests walk every route and check both)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from village_app.domain.dates import now_utc, to_shanghai
from village_app.domain.organisation import ROSTER_BODIES
from village_app.domain.publicity import PUBLIC_ROSTERS
from village_app.i18n import N_
from village_app.kiosk.reader import (
    CEREMONY_STANDARD,
    VILLAGE_RULES,
    PublicMatter,
    PublicMember,
    PublicRule,
    Snapshot,
)
from village_app.web.errors import PageNotFound
from village_app.web.kiosk.context import kiosk
from village_app.web.rendering.qr import qr_svg, verify_link
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import PUBLIC, route
from village_app.web.state import app_state

#: Out of touch with the county for longer than this, the kiosk says so on every page.
OUT_OF_TOUCH_DAYS: Final = 7
#: Cards per page in the lists: a screenful on a portrait kiosk without scrolling far.
PAGE_SIZE: Final = 6
#: After this long without a touch, every page goes back to the home screen.
IDLE_SECONDS: Final = 120

_EMPTY = Snapshot(None, (), (), {}, ())


@dataclass(frozen=True)
class Frame:
    """What every kiosk page shows around its content."""

    village_name: str
    last_update: dt.datetime | None  # when the kiosk last heard from the county
    out_of_touch: bool
    never: bool  # it never has
    home: bool
    idle_seconds: int = IDLE_SECONDS


@dataclass(frozen=True)
class Section:
    name: str  # route name
    label: str  # msgid
    note: str  # msgid
    count: int | None = None


@dataclass(frozen=True)
class HomePage:
    frame: Frame
    sections: list[Section]
    empty: bool


@dataclass(frozen=True)
class YearGroup:
    year: int | None
    matters: list[PublicMatter]


@dataclass(frozen=True)
class ListPage:
    frame: Frame
    which: str  # "resolutions" | "results"
    title: str  # msgid
    years: list[int]
    year: int | None
    groups: list[YearGroup]
    page: int
    pages: int
    total: int
    previous_url: str | None
    next_url: str | None


@dataclass(frozen=True)
class MatterPage:
    frame: Frame
    matter: PublicMatter
    back_url: str
    back_label: str  # msgid
    verify_url: str = ""  # the county's verify page for this publication ("": none)
    #: That address as a QR code: segno's inline SVG (paths only: the address is not in it
    #: as text), marked safe in the template.
    qr_svg: str = ""


@dataclass(frozen=True)
class Roster:
    body: str
    charter: str
    members: list[PublicMember]


@dataclass(frozen=True)
class RostersPage:
    frame: Frame
    rosters: list[Roster]


@dataclass(frozen=True)
class RosterPage:
    frame: Frame
    roster: Roster


@dataclass(frozen=True)
class RulesPage:
    frame: Frame
    title: str  # msgid
    rules: list[PublicRule]
    standard: bool


@dataclass(frozen=True)
class BoardItem:
    matter: PublicMatter
    stage: str  # resolution_publication | result_publication | council_publication
    date: dt.datetime | None


@dataclass(frozen=True)
class BoardPage:
    frame: Frame
    year: int
    quarter: int
    items: list[BoardItem] = field(default_factory=list)


async def _snapshot(request: Request) -> tuple[Snapshot, Frame]:
    context = kiosk(request)
    reader = await context.refresh()
    snapshot = await reader.snapshot() if reader is not None else _EMPTY
    status = await reader.status() if reader is not None else None
    last = None
    if status is not None and status.last_contact:
        last = to_shanghai(dt.datetime.fromisoformat(status.last_contact.replace("Z", "+00:00")))
    days = (now_utc() - last).total_seconds() / 86400 if last is not None else None
    frame = Frame(
        village_name=snapshot.village.name if snapshot.village else "",
        last_update=last,
        out_of_touch=days is None or days > OUT_OF_TOUCH_DAYS,
        never=last is None,
        home=request.url.path == "/",
    )
    context.visits.current(request, at_home=frame.home)  # a new visit after the idle return
    return snapshot, frame


async def snapshot(request: Request) -> tuple[Snapshot, Frame]:
    """What the kiosk holds and the frame of a page (for the kiosk's other page modules)."""
    return await _snapshot(request)


def _results(snapshot: Snapshot) -> list[PublicMatter]:
    return [m for m in snapshot.matters if m.result is not None]


async def home(request: Request) -> Response:
    snapshot, frame = await _snapshot(request)
    sections = [
        Section(
            "kiosk_resolutions", N_("决议公开"), N_("村里作出的决定和公告"), len(snapshot.matters)
        ),
        Section(
            "kiosk_results", N_("实施结果公开"), N_("决定办得怎么样了"), len(_results(snapshot))
        ),
        Section("kiosk_rosters", N_("组织与成员"), N_("两委、各议事会和监督委员会的成员"), None),
        Section("kiosk_rules", N_("村规民约"), N_("大家共同遵守的约定"), None),
        Section("kiosk_standard", N_("红白事标准"), N_("婚丧事宜简办标准"), None),
        Section("kiosk_board", N_("村务公开栏"), N_("本季度公开的内容"), None),
        Section(
            "kiosk_services",
            N_("服务项目"),
            N_("社会组织为村里做的服务，欢迎评价"),
            len(snapshot.services.projects),
        ),
        Section("kiosk_posts", N_("公益岗位"), N_("谁在为大家服务"), None),
    ]
    empty = snapshot.village is None
    return render(request, "kiosk/home.html", HomePage(frame, sections, empty))


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 6 else 1


def _year(request: Request) -> int | None:
    raw = request.query_params.get("year", "")
    return int(raw) if raw.isdigit() and len(raw) == 4 else None


async def _matter_list(request: Request, which: str) -> Response:
    snapshot, frame = await _snapshot(request)
    matters = snapshot.matters if which == "resolutions" else _results(snapshot)
    years = sorted({m.year for m in matters if m.year is not None}, reverse=True)
    year = _year(request)
    chosen = [m for m in matters if year is None or m.year == year]
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    page = min(_page_number(request), pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    groups: list[YearGroup] = []
    for matter in shown:
        if groups and groups[-1].year == matter.year:
            groups[-1].matters.append(matter)
        else:
            groups.append(YearGroup(matter.year, [matter]))
    name = "kiosk_resolutions" if which == "resolutions" else "kiosk_results"

    def link(number: int) -> str:
        query = {"page": str(number), **({"year": str(year)} if year else {})}
        return f"{request.url_for(name).path}?{urlencode(query)}"

    title = N_("决议公开") if which == "resolutions" else N_("实施结果公开")
    listing = ListPage(
        frame,
        which,
        title,
        years,
        year,
        groups,
        page,
        pages,
        len(chosen),
        link(page - 1) if page > 1 else None,
        link(page + 1) if page < pages else None,
    )
    return render(request, "kiosk/matters.html", listing)


async def resolutions(request: Request) -> Response:
    return await _matter_list(request, "resolutions")


async def results(request: Request) -> Response:
    return await _matter_list(request, "results")


async def matter(request: Request) -> Response:
    snapshot, frame = await _snapshot(request)
    found = snapshot.matter(request.path_params["matter_id"])
    if found is None:
        raise PageNotFound("事项", request.path_params["matter_id"])
    back = "results" if request.query_params.get("from") == "results" else "resolutions"
    back_url = request.url_for(f"kiosk_{back}").path
    label = N_("返回实施结果公开") if back == "results" else N_("返回决议公开")
    base = app_state(request).settings.verify_url
    link = verify_link(base, found.id, found.signature_hash or None)
    page = MatterPage(frame, found, back_url, label, link, qr_svg(link))
    return render(request, "kiosk/matter.html", page)


def _rosters(snapshot: Snapshot) -> list[Roster]:
    """The public rosters with someone in office today, in the organisation's order."""
    today = to_shanghai(now_utc()).date()
    listed = []
    for body in ROSTER_BODIES:
        if body not in PUBLIC_ROSTERS:
            continue
        members = [m for m in snapshot.members if m.body == body and m.in_office(today)]
        if members:
            members.sort(key=lambda m: (not m.convenor, m.role, m.name))
            listed.append(Roster(str(body), snapshot.charters.get(str(body), ""), members))
    return listed


async def rosters(request: Request) -> Response:
    """组织与成员: a large button per body; each opens its roster."""
    snapshot, frame = await _snapshot(request)
    return render(request, "kiosk/rosters.html", RostersPage(frame, _rosters(snapshot)))


async def roster(request: Request) -> Response:
    snapshot, frame = await _snapshot(request)
    found = next((r for r in _rosters(snapshot) if r.body == request.path_params["body"]), None)
    if found is None:
        raise PageNotFound("组织", request.path_params["body"])
    return render(request, "kiosk/roster.html", RosterPage(frame, found))


async def village_rules(request: Request) -> Response:
    snapshot, frame = await _snapshot(request)
    page = RulesPage(frame, N_("村规民约"), snapshot.rules_of(VILLAGE_RULES), standard=False)
    return render(request, "kiosk/rules.html", page)


async def standard(request: Request) -> Response:
    snapshot, frame = await _snapshot(request)
    page = RulesPage(frame, N_("红白事标准"), snapshot.rules_of(CEREMONY_STANDARD), standard=True)
    return render(request, "kiosk/rules.html", page)


async def board(request: Request) -> Response:
    """村务公开栏: what was published this quarter (resolutions and results), newest first."""
    snapshot, frame = await _snapshot(request)
    today = to_shanghai(now_utc()).date()
    quarter = (today.month - 1) // 3 + 1
    items = []
    for m in snapshot.matters:
        for stage in m.stages:
            if not stage.what and not stage.where:
                continue  # not a publication
            if stage.date is None:
                continue
            if stage.date.year == today.year and (stage.date.month - 1) // 3 + 1 == quarter:
                items.append(BoardItem(m, stage.key, stage.date))
    items.sort(key=lambda i: i.date or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return render(request, "kiosk/board.html", BoardPage(frame, today.year, quarter, items))


routes = [
    route("/", home, name="kiosk_home", access=PUBLIC),
    route("/resolutions", resolutions, name="kiosk_resolutions", access=PUBLIC),
    route("/results", results, name="kiosk_results", access=PUBLIC),
    route("/matters/{matter_id}", matter, name="kiosk_matter", access=PUBLIC),
    route("/rosters", rosters, name="kiosk_rosters", access=PUBLIC),
    route("/rosters/{body}", roster, name="kiosk_roster", access=PUBLIC),
    route("/rules", village_rules, name="kiosk_rules", access=PUBLIC),
    route("/standard", standard, name="kiosk_standard", access=PUBLIC),
    route("/board", board, name="kiosk_board", access=PUBLIC),
]
