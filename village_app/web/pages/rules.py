"""The village's rules on screen (issue 9 point 9): the 村规民约, the 红白事 standard, and each
body's charter with its quorum and majority rule. Everyone signed in reads them; the secretary
edits them, and what they said before stays readable (a rule text is never edited: a new
version is added; a charter keeps its earlier versions in its history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import (
    CEREMONY_KINDS,
    Body,
    BodyKind,
    BodyRule,
    DomainError,
    Problems,
    rule_for,
)
from village_app.domain.charters import (
    MAJORITY_BASES,
    THRESHOLDS,
    CharterVersion,
    charter_history,
    charter_rule,
    check_charter,
    rule_editable,
    threshold_key,
)
from village_app.i18n import N_, Message
from village_app.repo import STANDARD_KIND
from village_app.web import resolve
from village_app.web.errors import PageNotFound
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route

#: The rule texts, by the key their pages use: the kind they are stored under, their name.
TEXTS: dict[str, tuple[str, str]] = {
    "village": ("村规民约", N_("村规民约")),
    "standard": (STANDARD_KIND, N_("红白事简办标准")),
}
#: A standard's caps, each a form field ``<kind>_<cap>``.
CAPS: dict[str, str] = {
    "max_tables": N_("宴席桌数上限"),
    "max_cost_per_table": N_("每桌标准上限（元）"),
    "max_gift": N_("礼金上限（元）"),
}


@dataclass(frozen=True)
class RuleText:
    """One rule text's versions, newest first; the first published is in force."""

    key: str
    name: str
    versions: tuple[dict[str, Any], ...]

    @property
    def current(self) -> dict[str, Any] | None:
        return next((v for v in self.versions if v.get("published", True)), None)

    @property
    def earlier(self) -> tuple[dict[str, Any], ...]:
        current = self.current
        return tuple(v for v in self.versions if v is not current)


@dataclass(frozen=True)
class BodyCharter:
    kind: str
    charter: str
    rule: BodyRule
    editable: bool


@dataclass(frozen=True)
class RulesPage:
    texts: tuple[RuleText, ...]
    bodies: tuple[BodyCharter, ...]
    #: The rule text just saved (its section is highlighted).
    saved: str = ""


@dataclass(frozen=True)
class RuleEditPage:
    text: RuleText
    form: forms.FormState
    kinds: dict[str, str] = field(default_factory=lambda: dict(CEREMONY_KINDS))
    caps: dict[str, str] = field(default_factory=lambda: dict(CAPS))


@dataclass(frozen=True)
class CharterPage:
    kind: str
    body: Body
    rule: BodyRule
    editable: bool
    #: Earlier versions, newest first, each with its rule read (``None``: it had none).
    history: tuple[tuple[CharterVersion, BodyRule | None], ...]
    saved: bool = False


@dataclass(frozen=True)
class CharterEditPage:
    kind: str
    body: Body
    rule: BodyRule
    editable: bool
    form: forms.FormState
    #: The thresholds to choose from: key and words (a message to translate).
    thresholds: tuple[tuple[str, Message], ...] = tuple(
        (key, t.describe()) for key, t in THRESHOLDS.items()
    )
    bases: dict[str, str] = field(default_factory=lambda: dict(MAJORITY_BASES))


async def _text(request: Request, key: str) -> RuleText:
    if key not in TEXTS:
        raise PageNotFound("规则", key)
    kind, name = TEXTS[key]
    versions = await resolve.store(request).list_village_rules(kind=kind)
    return RuleText(key, name, tuple(reversed(versions)))


async def rules(request: Request) -> Response:
    store = resolve.store(request)
    book = await store.rules()
    bodies = {b.kind: b for b in await store.list_bodies()}
    page = RulesPage(
        texts=tuple([await _text(request, key) for key in TEXTS]),
        bodies=tuple(
            BodyCharter(
                str(kind),
                bodies[kind].charter if kind in bodies else "",
                rule_for(kind, book),
                rule_editable(kind),
            )
            for kind in BodyKind
        ),
        saved=take_saved(request, "rules"),
    )
    return render(request, "rules.html", page)


def _text_values(text: RuleText) -> dict[str, str]:
    current = text.current or {}
    values = {"title": str(current.get("title", "")), "text": str(current.get("text", ""))}
    for kind, caps in (current.get("limits") or {}).items():
        for cap, value in (caps or {}).items():
            values[f"{kind}_{cap}"] = str(value)
    return values


async def rule_text_form(request: Request) -> Response:
    text = await _text(request, request.path_params["key"])
    return render(
        request, "rule_edit.html", RuleEditPage(text, forms.FormState(_text_values(text)))
    )


async def rule_text_edit(request: Request) -> Response:
    async with request.form() as form:
        return await _rule_text_edit(request, form)


def _limits(form: FormData, problems: Problems) -> dict[str, dict[str, int]]:
    """The standard's caps as typed (a cap left blank is no cap)."""
    limits: dict[str, dict[str, int]] = {}
    for kind in CEREMONY_KINDS:
        for cap, label in CAPS.items():
            name = f"{kind}_{cap}"
            value = problems.value(partial(forms.integer, form, name, label), None)
            if value is not None:
                limits.setdefault(kind, {})[cap] = value
    return limits


async def _rule_text_edit(request: Request, form: FormData) -> Response:
    text = await _text(request, request.path_params["key"])
    kind = TEXTS[text.key][0]
    state = forms.FormState.of(form)
    problems = Problems()
    read = forms.Reader(form, problems)
    try:
        limits = _limits(form, problems) if text.key == "standard" else None
        await resolve.store(request).add_village_rule(
            kind,
            read.text("title"),
            read.text("text"),
            limits=limits or None,
            key=forms.form_key(form),
            problems=problems,
        )
    except DomainError as exc:
        page = RuleEditPage(text, state.fail(exc, request_locale(request)))
        return render(request, "rule_edit.html", page, status_code=exc.status)
    note_saved(request, "rules", text.key)
    return RedirectResponse(f"{request.url_for('rules')}#rules-{text.key}", status_code=303)


async def _charter(request: Request) -> tuple[str, Body, BodyRule]:
    kind = str(resolve.body_kind(request.path_params["body"]))
    store = resolve.store(request)
    return kind, await store.get_body(kind), rule_for(kind, await store.rules())


async def charter(request: Request) -> Response:
    kind, body, rule = await _charter(request)
    page = CharterPage(
        kind,
        body,
        rule,
        rule_editable(kind),
        tuple((v, _rule_of(v)) for v in reversed(charter_history(body.extra.get("history")))),
        saved=bool(take_saved(request, f"charter:{kind}")),
    )
    return render(request, "charter.html", page)


def _rule_of(version: CharterVersion) -> BodyRule | None:
    try:
        return BodyRule.from_data(version.rule) if version.rule else None
    except (DomainError, KeyError, TypeError, ValueError):
        return None


def _charter_values(body: Body, rule: BodyRule) -> dict[str, str]:
    return {
        "charter": body.charter,
        "quorum": threshold_key(rule.quorum.get("members", rule.majority)),
        "majority": threshold_key(rule.majority),
        "majority_of": rule.majority_of,
        "rev": body.rev,
    }


async def charter_edit_form(request: Request) -> Response:
    kind, body, rule = await _charter(request)
    state = forms.FormState(_charter_values(body, rule))
    return render(
        request, "charter_edit.html", CharterEditPage(kind, body, rule, rule_editable(kind), state)
    )


async def charter_edit(request: Request) -> Response:
    async with request.form() as form:
        return await _charter_edit(request, form)


async def _charter_edit(request: Request, form: FormData) -> Response:
    kind, body, rule = await _charter(request)
    state = forms.FormState.of(form)
    problems = Problems()
    read = forms.Reader(form, problems)
    editable = rule_editable(kind)
    try:
        text = check_charter(read.text("charter"), problems)
        chosen = (
            charter_rule(
                read.text("quorum"), read.text("majority"), read.text("majority_of"), problems
            )
            if editable
            else None
        )
        problems.raise_any()
        await resolve.store(request).update_charter(kind, text, chosen, rev=read.text("rev"))
    except DomainError as exc:
        failed = state.fail(exc, request_locale(request))
        page = CharterEditPage(kind, body, rule, editable, failed)
        return render(request, "charter_edit.html", page, status_code=exc.status)
    note_saved(request, f"charter:{kind}", "charter")
    return RedirectResponse(request.url_for("charter", body=kind), status_code=303)


routes = [
    route("/rules", rules, name="rules", access=SIGNED_IN),
    route("/rules/{key}/edit", rule_text_form, name="rule_text_form", access=SECRETARY),
    route(
        "/rules/{key}/edit",
        rule_text_edit,
        name="rule_text_edit",
        access=SECRETARY,
        methods=("POST",),
    ),
    route("/councils/{body}/charter", charter, name="charter", access=SIGNED_IN),
    route(
        "/councils/{body}/charter/edit",
        charter_edit_form,
        name="charter_edit_form",
        access=SECRETARY,
    ),
    route(
        "/councils/{body}/charter/edit",
        charter_edit,
        name="charter_edit",
        access=SECRETARY,
        methods=("POST",),
    ),
]
