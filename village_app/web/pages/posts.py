"""公益岗位: the six named public-service posts and those the village adds, who holds each
(认领岗位: a party member or a volunteer), and the duty log the holders keep."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import DomainError, Problems, ValidationError
from village_app.domain.services import Claim, DutyLog, Post, effective, holders
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.pages.services import WORDS, Words, hours_field, is_secretary
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route


@dataclass(frozen=True)
class PostLine:
    post: Post
    holders: tuple[Claim, ...]  # today
    duties: tuple[DutyLog, ...]  # this year, newest first
    hours: float


@dataclass(frozen=True)
class PostsPage:
    year: int
    lines: tuple[PostLine, ...]
    secretary: bool
    #: Which form came back with errors (claim, duty, post), and its state.
    failed: str = ""
    form: forms.FormState = field(default_factory=forms.FormState)
    saved: str = ""
    #: The post a card's link chose for the forms (``?post=``).
    chosen: str = ""
    words: Words = WORDS

    def state(self, which: str, defaults: dict[str, str]) -> forms.FormState:
        return self.form if self.failed == which else forms.FormState(dict(defaults))

    @property
    def today(self) -> str:
        return now_local().date().isoformat()

    @property
    def current_holders(self) -> tuple[str, ...]:
        return tuple(sorted({c.holder for line in self.lines for c in line.holders}))


async def _page(
    request: Request, failed: str = "", state: forms.FormState | None = None
) -> PostsPage:
    store = resolve.store(request)
    today = now_local().date()
    claims = await store.list_claims()
    duties = [d for d in effective(await store.list_duty_logs()) if d.done_on.year == today.year]
    lines = []
    for post in await store.list_posts():
        mine = [d for d in duties if d.post_id == post.id]
        lines.append(
            PostLine(
                post,
                tuple(holders(post, claims, today)),
                tuple(reversed(mine)),
                round(sum(d.hours for d in mine), 1),
            )
        )
    return PostsPage(
        year=today.year,
        lines=tuple(lines),
        secretary=is_secretary(request),
        failed=failed,
        form=state or forms.FormState(),
        chosen=request.query_params.get("post", ""),
    )


async def posts(request: Request) -> Response:
    page = await _page(request)
    return render(request, "service_posts.html", replace(page, saved=take_saved(request, "posts")))


def _day(problems: Problems, form: FormData, name: str, missing: str) -> date:
    day = problems.value(partial(forms.day, form, name), None)
    if day is None and not problems.about(name):
        problems.add(ValidationError(missing, field=name))
    return day or now_local().date()


async def _refused(
    request: Request, which: str, state: forms.FormState, exc: DomainError
) -> Response:
    page = await _page(request, which, state.fail(exc, request_locale(request)))
    return render(request, "service_posts.html", page, status_code=exc.status)


def _back(request: Request, anchor: str) -> Response:
    return RedirectResponse(f"{request.url_for('service_posts')}#{anchor}", status_code=303)


async def add_post(request: Request) -> Response:
    async with request.form() as form:
        state = forms.FormState.of(form)
        try:
            post = Post(name=forms.text(form, "name"), duties=forms.text(form, "duties"))
            saved = await resolve.store(request).add_post(post, key=forms.form_key(form))
        except DomainError as exc:
            return await _refused(request, "post", state, exc)
    note_saved(request, "posts", saved.id)
    return _back(request, f"post-{saved.id}")


async def claim(request: Request) -> Response:
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        read = forms.Reader(form, problems)
        try:
            made = Claim(
                post_id=read.text("post_id"),
                holder=read.text("holder"),
                holder_kind=read.text("holder_kind"),
                since=_day(problems, form, "since", N_("请填写认领日期")),
            )
            saved = await resolve.store(request).claim_post(
                made, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            return await _refused(request, "claim", state, exc)
    note_saved(request, "posts", saved.post_id)
    return _back(request, f"post-{saved.post_id}")


async def end_claim(request: Request) -> Response:
    claim_id = request.path_params["claim_id"]
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            ended_on = _day(problems, form, "ended_on", N_("请填写卸任日期"))
            problems.raise_any()
            ended = await resolve.store(request).end_claim(
                claim_id, ended_on, forms.text(form, "rev")
            )
        except DomainError as exc:
            return await _refused(request, "end", state, exc)
    note_saved(request, "posts", ended.post_id)
    return _back(request, f"post-{ended.post_id}")


async def add_duty(request: Request) -> Response:
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        read = forms.Reader(form, problems)
        try:
            log = DutyLog(
                post_id=read.text("post_id"),
                holder=read.text("holder"),
                done_on=_day(problems, form, "done_on", N_("请填写履职日期")),
                what=read.text("what"),
                hours=problems.value(partial(hours_field, form, "hours"), 0.0),
            )
            saved = await resolve.store(request).add_duty_log(
                log, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            return await _refused(request, "duty", state, exc)
    note_saved(request, "posts", saved.id)
    return _back(request, f"duty-{saved.id}")


routes = [
    route("/services/posts", posts, name="service_posts", access=SIGNED_IN),
    route(
        "/services/posts", add_post, name="service_post_add", access=SECRETARY, methods=("POST",)
    ),
    route(
        "/services/posts/claims",
        claim,
        name="post_claim_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/posts/claims", "service_posts", name="post_claim_back"),
    route(
        "/services/posts/claims/{claim_id}/end",
        end_claim,
        name="post_claim_end",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/posts/claims/{claim_id}/end", "service_posts", name="post_claim_end_back"),
    route(
        "/services/posts/duties",
        add_duty,
        name="duty_log_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/posts/duties", "service_posts", name="duty_log_back"),
]
