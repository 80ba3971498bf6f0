"""The county's verify page: what a phone opens from a publication's QR code (on the kiosk or
the printed notice). Open to anyone, no login: it shows the publication the county has under
that content hash, whether the village laptop's signature holds (and why not: altered after
signing, an unknown key, a forged signature, a revoked key), which key signed it and when, and
whether a later version (a correction) exists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from sync.errors import CouchError, NotFoundError
from village_app.county import roles
from village_app.county.keyring import known_keys
from village_app.domain.publicity import twin_id
from village_app.domain.signing import SIGNATURE, Verdict, content_hash, verify
from village_app.kiosk.reader import PublicMatter, public_matter_of
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import PUBLIC, route
from village_app.web.state import app_state

_VILLAGE: Final = re.compile(r"^\d{12}$")
_HASH: Final = re.compile(r"^[0-9a-f]{64}$")
_MATTER: Final = re.compile(r"^matter:\d{12}:[0-9A-Za-z]{1,40}$")


@dataclass(frozen=True)
class VerifyPage:
    asked: bool  # the address named a publication at all
    village_name: str
    digest: str
    verdict: Verdict | None
    publication: PublicMatter | None  # the version with this hash, as the county has it
    later: PublicMatter | None  # a newer version (a correction), if there is one
    fingerprint_text: str  # the signing key, in groups of four


def _signed_hash(doc: Mapping[str, Any]) -> str | None:
    block = doc.get(SIGNATURE)
    return str(block.get("hash")) if isinstance(block, Mapping) else None


async def _versions(request: Request, village: str, matter_id: str) -> list[dict[str, Any]]:
    """The publication's twin, newest revision first, with the older ones CouchDB still has."""
    county = app_state(request).county
    assert county is not None, "the verify page runs in county mode"
    db = await county.server.database(roles.public_database(village, county.prefix), create=False)
    try:
        current = await db.get(twin_id(matter_id), revs_info=True)
        found = [current]
        for info in current.get("_revs_info", [])[1:20]:
            if info.get("status") == "available":
                found.append(await db.get(twin_id(matter_id), rev=info["rev"]))
        return found
    finally:
        await db.close()


async def verify_page(request: Request) -> Response:
    state = app_state(request)
    county = state.county
    assert county is not None
    query = request.query_params
    village, matter_id, digest = query.get("v", ""), query.get("m", ""), query.get("h", "")
    asked = bool(_VILLAGE.match(village) and _MATTER.match(matter_id) and _HASH.match(digest))
    entry = county.registry.village(village) if asked else None
    versions: list[dict[str, Any]] = []
    if asked and entry is not None:
        try:
            versions = await _versions(request, village, matter_id)
        except (NotFoundError, CouchError):
            versions = []
    matching = next(
        (v for v in versions if _signed_hash(v) == digest or content_hash(v) == digest), None
    )
    verdict, publication, later, fingerprint = None, None, None, ""
    if asked:
        if matching is None:
            verdict = Verdict("not_found")
        else:
            verdict = verify(matching, known_keys(state.settings.keys_dir))
            publication = public_matter_of(matching)
            if verdict.key:
                fingerprint = " ".join(
                    verdict.key[i : i + 4] for i in range(0, len(verdict.key), 4)
                )
        if versions and versions[0] is not matching and not versions[0].get("withdrawn"):
            later = public_matter_of(versions[0])
    page = VerifyPage(
        asked,
        entry.name if entry is not None else "",
        digest,
        verdict,
        publication,
        later,
        fingerprint,
    )
    return render(request, "county/verify.html", page)


routes = [route("/verify", verify_page, name="verify", access=PUBLIC)]
