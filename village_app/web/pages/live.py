"""Live quorum and vote result while attendance and counts are typed (htmx, GET).

It calls the same domain function that judges the record when it is saved, so
what the secretary sees while typing is what will be stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import Response

from village_app import i18n
from village_app.domain import (
    BodyRule,
    DomainError,
    MeetingOutcome,
    RuleBook,
    ValidationError,
    evaluate_meeting,
    rule_for,
)
from village_app.domain.rosters import roster_mismatch
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, route


@dataclass(frozen=True)
class LiveResult:
    body: str
    rule: BodyRule | None = None
    outcome: MeetingOutcome | None = None
    ratio: str = ""
    error: str = ""
    error_field: str = ""
    #: 应到 is not the number on the body's roster (said, not refused).
    warning: str = ""


@dataclass(frozen=True)
class LiveCheckPage:
    live: LiveResult


def check_meeting(values: FormData | QueryParams, rules: RuleBook, locale: str) -> LiveResult:
    """The outcome for the counts typed so far (nothing yet: just the rule)."""
    form = values if isinstance(values, FormData) else FormData(dict(values.items()))
    try:
        body = forms.text(form, "body")
    except DomainError:  # a body no form offers: nothing to check against (the save says why)
        return LiveResult(body="")
    try:
        rule = rule_for(body, rules) if body else None
    except (DomainError, ValueError):
        rule = None
    if rule is None:
        return LiveResult(body=body)
    warning = _roster_warning(form, locale)
    try:
        attendance = forms.attendance(form)
        if attendance is None:
            return LiveResult(body=body, rule=rule, warning=warning)
        outcome = evaluate_meeting(rule, attendance, forms.vote(form))
    except DomainError as exc:
        return LiveResult(
            body=body,
            rule=rule,
            error=exc.message(locale),
            error_field=exc.field or "",
            warning=warning,
        )
    except (ValueError, ValidationError):
        return LiveResult(body=body, rule=rule, warning=warning)
    return LiveResult(
        body=body,
        rule=rule,
        outcome=outcome,
        ratio=attendance.ratio_percent(),
        warning=warning,
    )


def _roster_warning(form: FormData, locale: str) -> str:
    """应到 against the number on the roster the form was given (``roster_size``)."""
    try:
        listed = forms.integer(form, "roster_size", N_("名单人数")) or 0
        expected = forms.integer(form, "expected", N_("应到人数"))
    except DomainError:
        return ""
    warning = roster_mismatch(listed, expected)
    return i18n.translate(warning, locale) if warning is not None else ""


async def meeting_check(request: Request) -> Response:
    rules = await resolve.store(request).rules()
    live = check_meeting(request.query_params, rules, request_locale(request))
    return render(request, "stage.html", LiveCheckPage(live), block="live_result", force_block=True)


routes = [route("/meetings/check", meeting_check, name="meeting_check", access=SECRETARY)]
