"""Conflicting versions of a body's roster: its seats and its charter/rule document.

Seats and charters are edited (a term ended, a rule changed), so two laptops may change
the same one before they sync; CouchDB keeps both and picks a winner. Conflicts are shown
and resolved here, never dropped (DESIGN.md): the secretary keeps one version and the
others stay in the history. The matter's own page for this is ``editing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import BodyRule, DomainError, NotFound
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SECRETARY, route


@dataclass(frozen=True)
class ConflictingDoc:
    id: str
    #: ``member`` (a seat) or ``body`` (the charter and rule).
    type: str
    #: The winning version first, then each conflicting one (document fields).
    versions: tuple[dict[str, Any], ...]

    @property
    def rules(self) -> tuple[BodyRule | None, ...]:
        """Each version's quorum and majority rule (a body's), to be shown in words."""
        return tuple(_rule(v.get("rule")) for v in self.versions)


def _rule(data: Any) -> BodyRule | None:
    try:
        return BodyRule.from_data(data) if data else None
    except (DomainError, KeyError, TypeError, ValueError):  # a version from elsewhere, malformed
        return None


@dataclass(frozen=True)
class RosterConflictsPage:
    body: str
    docs: tuple[ConflictingDoc, ...]


async def _conflicting(request: Request, body: str) -> tuple[ConflictingDoc, ...]:
    store = resolve.store(request)
    found = []
    for docid in await store.roster_conflicts(body):
        versions = await store.list_conflicts(docid)
        if versions:
            found.append(ConflictingDoc(docid, str(versions[0].get("type", "")), tuple(versions)))
    return tuple(found)


async def roster_conflicts(request: Request) -> Response:
    body = str(resolve.body_kind(request.path_params["body"]))
    return render(
        request,
        "roster_conflicts.html",
        RosterConflictsPage(body, await _conflicting(request, body)),
    )


async def resolve_roster_conflict(request: Request) -> Response:
    async with request.form() as form:
        return await _resolve(request, form)


async def _resolve(request: Request, form: FormData) -> Response:
    body = str(resolve.body_kind(request.path_params["body"]))
    docid, rev = forms.text(form, "docid"), forms.text(form, "rev")
    # Only a document of this body's roster, and only a version still in conflict.
    doc = next((d for d in await _conflicting(request, body) if d.id == docid), None)
    chosen = next((v for v in doc.versions if v.get("_rev") == rev), None) if doc else None
    if chosen is None:
        raise NotFound(N_("所选版本已不存在，请刷新后再选"), ids=[docid])
    await resolve.store(request).resolve_conflict(docid, chosen)
    return RedirectResponse(request.url_for("roster_conflicts", body=body), status_code=303)


routes = [
    route(
        "/councils/{body}/conflicts", roster_conflicts, name="roster_conflicts", access=SECRETARY
    ),
    route(
        "/councils/{body}/conflicts",
        resolve_roster_conflict,
        name="roster_conflict_resolve",
        access=SECRETARY,
        methods=("POST",),
    ),
]
