"""Finding things: the header's search box, results grouped by kind. A plain GET form; with
htmx the results replace the page's main part as one types (the ``results`` block)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from village_app.i18n import N_
from village_app.repo.search import SearchResults
from village_app.web import resolve
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route

#: How each kind of result is headed, and what each matched field is called.
KIND_NAMES: Final = {
    "matter": N_("事项"),
    "stage_record": N_("办理记录"),
    "supervision": N_("村务监督"),
    "ceremony": N_("红白事登记"),
}
FIELD_NAMES: Final = {
    "title": N_("名称"),
    "summary": N_("概要"),
    "subject": N_("事由"),
    "content": N_("内容"),
    "finding": N_("监督发现"),
    "follow_up": N_("整改/跟进情况"),
    "family": N_("户主"),
    "note": N_("登记备注"),
}
PER_KIND: Final = 20


@dataclass(frozen=True)
class SearchPage:
    results: SearchResults
    #: Whether the 红白事 register was searched (the secretary's only).
    ceremonies: bool
    per_kind: int = PER_KIND

    @property
    def kind_names(self) -> Mapping[str, str]:
        return KIND_NAMES

    @property
    def field_names(self) -> Mapping[str, str]:
        return FIELD_NAMES


async def search(request: Request) -> Response:
    ceremonies = SECRETARY.admits(request.auth.scopes)
    results = await resolve.store(request).search(
        request.query_params.get("q", ""), ceremonies=ceremonies, per_kind=PER_KIND
    )
    return render(request, "search.html", SearchPage(results, ceremonies), block="results")


routes = [route("/search", search, name="search", access=SIGNED_IN)]
