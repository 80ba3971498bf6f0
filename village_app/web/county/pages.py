"""The county's pages. Everything listed comes from the county index (one read, whatever the
number of villages); a matter page opens that one village's mirror. What a person sees
follows their CouchDB roles: a township's reviewers its villages, the county's all."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.errors import ConflictError, CouchError
from village_app import repo
from village_app.county.index import (
    SYNC_RECENCY_BUCKETS,
    THREAD_AGE_BUCKETS,
    MatterRow,
    UnreadableRow,
    VillageFigures,
    VillageRow,
    bucket_keys,
)
from village_app.county.registry import Township, Village
from village_app.domain import MatterView, ValidationError
from village_app.domain.dates import now_utc
from village_app.domain.review_checks import Check, review_checks
from village_app.domain.reviews import Review, validate_review
from village_app.domain.write_rules import Writer, WriteRefused, check_write
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.ids import is_form_key, make_id, new_form_key
from village_app.web.county.charts import Chart, dashboard_charts
from village_app.web.county.context import CountyContext, Staff, codes
from village_app.web.county.signatures import PublicationSignature, publication_signature
from village_app.web.errors import PageNotFound
from village_app.web.pages import attachments
from village_app.web.rendering.templates import current_user, render
from village_app.web.security.permissions import SIGNED_IN, back_to, route
from village_app.web.state import app_state

log = logging.getLogger(__name__)
_UNREACHABLE: Final = N_("县数据库暂时无法连接，审核意见没有保存，请稍后再试。")

#: A village whose laptop has not synced for longer than this stands out.
STALE_DAYS: Final = 30


def county(request: Request) -> CountyContext:
    context = app_state(request).county
    assert context is not None, "county pages run in county mode only"
    return context


def staff(request: Request) -> Staff:
    return Staff.of(current_user(request))


@dataclass(frozen=True)
class VillageLine:
    village: Village
    row: VillageRow | None  # None: nothing synced yet

    @property
    def synced(self) -> bool:
        """Some record of the village's own has arrived (a database holding only what
        ``county init`` put there is not a synced village)."""
        return self.row is not None and self.row.last_record_at is not None

    @cached_property
    def days_since_sync(self) -> float | None:
        stamp = self.row.last_village_change_at if self.row and self.synced else None
        if not stamp:
            return None
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return (now_utc() - then).total_seconds() / 86400

    @property
    def stale(self) -> bool:
        days = self.days_since_sync
        return days is None or days > STALE_DAYS

    @property
    def in_progress(self) -> int:
        if self.row is None:
            return 0
        return self.row.matter_count - self.row.matters_by_stage.get("completed", 0)


@dataclass(frozen=True)
class TownshipGroup:
    township: Township
    lines: list[VillageLine]

    @property
    def pending(self) -> int:
        return sum(line.row.reviews_pending for line in self.lines if line.row)

    @property
    def stale(self) -> int:
        return sum(1 for line in self.lines if line.stale)


@dataclass(frozen=True)
class VillagesPage:
    county_name: str
    groups: list[TownshipGroup]
    no_villages: bool


async def villages(request: Request) -> Response:
    ctx, who = county(request), staff(request)
    visible = who.villages(ctx.registry)
    rows = {r.code: r for r in await ctx.index.villages(codes(visible))}
    mine = set(who.townships(ctx.registry))
    groups = [
        TownshipGroup(
            t, [VillageLine(v, rows.get(v.code)) for v in ctx.registry.villages_of(t.code)]
        )
        for t in ctx.registry.townships
        if t.code in mine
    ]
    page = VillagesPage(ctx.registry.name, groups, not visible)
    return render(request, "county/villages.html", page)


@dataclass(frozen=True)
class VillagePage:
    village: Village
    township: Township | None
    row: VillageRow | None
    matters: list[MatterRow]
    unreadable: list[UnreadableRow]


def _visible_village(request: Request, code: str) -> Village:
    ctx = county(request)
    village = ctx.registry.village(code)
    if village is None or not staff(request).may_review(ctx.registry, code):
        raise PageNotFound("村", code)  # another township's village is not shown to exist
    return village


async def village(request: Request) -> Response:
    code = request.path_params["code"]
    found = _visible_village(request, code)
    ctx = county(request)
    page = VillagePage(
        found,
        ctx.registry.township(found.township),
        await ctx.index.village(code),
        await ctx.index.matters(code),
        await ctx.index.unreadable(code),
    )
    return render(request, "county/village.html", page)


@dataclass(frozen=True)
class QueueItem:
    village: Village
    matter: MatterRow


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    no_villages: bool
    total: int  # matters waiting, across the person's villages
    page: int  # from 1
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


#: Matters on one page of the queue (the oldest first).
QUEUE_PAGE: Final = 50


async def review_queue(request: Request) -> Response:
    ctx, who = county(request), staff(request)
    visible = who.villages(ctx.registry)
    by_code = {v.code: v for v in visible}
    number = _page_number(request)
    rows, total = [], 0
    if visible:
        total = sum(r.reviews_pending for r in await ctx.index.villages(codes(visible)))
        rows = await ctx.index.review_queue(
            codes(visible), limit=QUEUE_PAGE, offset=(number - 1) * QUEUE_PAGE
        )
    items = [QueueItem(by_code[r.code], r) for r in rows if r.code in by_code]
    page = QueuePage(items, not visible, total, number, QUEUE_PAGE)
    return render(request, "county/queue.html", page)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


async def _mirror_store(request: Request, code: str) -> repo.VillageStore:
    """The village's mirror as a (read-only in use) village store; the record pages'
    attachment handler reads it too."""
    _visible_village(request, code)
    ctx = county(request)
    db = await ctx.mirror(code)
    if db is None:
        raise HTTPException(404, N_("这个村的记录还没有同步到县里。"))
    made = repo.VillageStore(
        db, code, repo.Actor(staff(request).name), app_state(request).caches_for(code)
    )
    request.state.village_store = made
    return made


@dataclass(frozen=True)
class ReviewForm:
    decision: str = ""
    comment: str = ""
    stage_comments: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None


@dataclass(frozen=True)
class CountyMatterPage:
    village: Village
    view: MatterView
    checks: list[Check]
    reviews: list[Review]
    form: ReviewForm
    form_key: str
    saved: bool = False
    #: The published content's signature (None: nothing of the matter is public).
    signature: PublicationSignature | None = None

    @property
    def failed_checks(self) -> int:
        return sum(1 for c in self.checks if c.ok is False)

    def stage_checks(self, key: str) -> list[Check]:
        return [c for c in self.checks if c.stage == key]

    @property
    def matter_checks(self) -> list[Check]:
        return [c for c in self.checks if c.stage is None]


async def _matter_page(
    request: Request, form: ReviewForm | None = None, status_code: int = 200
) -> Response:
    code, matter_id = request.path_params["code"], request.path_params["matter_id"]
    store = await _mirror_store(request, code)
    view = await store.matter_view(matter_id)
    page = CountyMatterPage(
        _visible_village(request, code),
        view,
        review_checks(view, now=now_utc()),
        await store.list_reviews(matter_id),
        form or ReviewForm(),
        new_form_key(),
        saved=request.query_params.get("saved") == "review",
        signature=await publication_signature(request, store.db, code, matter_id),
    )
    return render(request, "county/matter.html", page, status_code=status_code)


async def matter(request: Request) -> Response:
    return await _matter_page(request)


async def submit_review(request: Request) -> Response:
    async with request.form() as form:
        return await _submit_review(request, form)


async def _submit_review(request: Request, form: FormData) -> Response:
    code, matter_id = request.path_params["code"], request.path_params["matter_id"]
    store = await _mirror_store(request, code)
    view = await store.matter_view(matter_id)
    ctx, who = county(request), staff(request)
    stage_comments = {
        s.spec.key: str(form.get(f"stage_comment_{s.spec.key}", "")).strip() for s in view.stages
    }
    entered = ReviewForm(
        decision=str(form.get("decision", "")),
        comment=str(form.get("comment", "")).strip(),
        stage_comments={k: v for k, v in stage_comments.items() if v},
    )
    try:
        review = validate_review(
            Review(
                matter_id=matter_id,
                decision=entered.decision,
                comment=entered.comment,
                stage_comments=entered.stage_comments,
                records=tuple(
                    r.id for s in view.stages for chain in s.attempts for r in chain.versions
                ),
            )
        )
    except ValidationError as exc:
        error = ReviewForm(**{**entered.__dict__, "error": exc.msgid, "error_field": exc.field})
        return await _matter_page(request, error, status_code=422)
    key = str(form.get("form_key", ""))
    actor = repo.Actor(who.name)
    docid = make_id("review", code, key) if is_form_key(key) else actor.new_id("review", code)
    doc = docs.review_to_doc(code, review, actor, docid)
    village_ = _visible_village(request, code)
    refusal = check_write(
        doc, None, Writer(who.name, who.couch_roles), code, ctx.township_code(village_)
    )
    if refusal is not None:
        raise WriteRefused.of(refusal)
    if not await _write_review(ctx, code, doc, store):
        unsaved = ReviewForm(**{**entered.__dict__, "error": _UNREACHABLE})
        return await _matter_page(request, unsaved, status_code=503)
    url = request.url_for("county_matter", code=code, matter_id=matter_id)
    return RedirectResponse(f"{url}?saved=review#reviews", status_code=303)


async def _write_review(
    ctx: CountyContext, code: str, doc: dict[str, Any], store: repo.VillageStore
) -> bool:
    """Into the village's database on the county CouchDB (the laptop gets it at its next
    pull), and the same revision into the county's mirror, so the page shows it at once.
    ``False`` when CouchDB could not be reached: nothing was written."""
    try:
        db = await ctx.server.database(ctx.database_name(code), create=False)
        try:
            try:
                written = await db.put(doc)
            except ConflictError:  # the same form sent twice: the first one stands
                return True
        finally:
            await db.close()
    except CouchError as exc:
        log.warning("review of %s not written: %s", doc.get("matter_id"), exc)
        return False
    await store.db.bulk_docs([{**doc, "_rev": written["rev"]}], new_edits=False)
    return True


async def county_attachment(request: Request) -> Response:
    record_id = request.path_params["record_id"]
    parts = record_id.split(":")
    if len(parts) != 3:
        raise PageNotFound("记录", record_id)
    await _mirror_store(request, parts[1])
    return await attachments.attachment(request)


@dataclass(frozen=True)
class DashboardPage:
    county_name: str
    charts: list[Chart]
    villages: int


async def dashboard(request: Request) -> Response:
    ctx, who = county(request), staff(request)
    visible = who.villages(ctx.registry)
    figures: dict[str, VillageFigures] = await ctx.index.figures(codes(visible)) if visible else {}
    townships = [t for t in ctx.registry.townships if t.code in who.townships(ctx.registry)]
    charts = dashboard_charts(
        townships,
        {
            t.code: [figures[v.code] for v in ctx.registry.villages_of(t.code) if v.code in figures]
            for t in townships
        },
        unsynced={
            t.code: sum(1 for v in ctx.registry.villages_of(t.code) if v.code not in figures)
            for t in townships
        },
        age_keys=bucket_keys(THREAD_AGE_BUCKETS),
        recency_keys=bucket_keys(SYNC_RECENCY_BUCKETS, never=True),
    )
    return render(
        request, "county/dashboard.html", DashboardPage(ctx.registry.name, charts, len(visible))
    )


routes = [
    route("/", villages, name="overview", access=SIGNED_IN),
    route("/queue", review_queue, name="review_queue", access=SIGNED_IN),
    route("/dashboard", dashboard, name="dashboard", access=SIGNED_IN),
    route("/villages/{code}", village, name="county_village", access=SIGNED_IN),
    route("/villages/{code}/matters/{matter_id}", matter, name="county_matter", access=SIGNED_IN),
    route(
        "/villages/{code}/matters/{matter_id}/review",
        submit_review,
        name="review_submit",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to("/villages/{code}/matters/{matter_id}/review", "county_matter", name="review_back"),
    route(
        "/records/{record_id}/attachments/{name}",
        county_attachment,
        name="attachment",
        access=SIGNED_IN,
    ),
]
