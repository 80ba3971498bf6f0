"""A matter's publication as the county's matter page shows it: whether the village laptop's
signature over the published content holds (the same check as the verify page, against every
laptop key the county registered), why not when it does not (altered after signing, a forged
signature, a revoked key, an unknown key, no signature), and the verify page's address.

The page reads the matter's public twin from the county's mirror of the village database (the
twin the county's public database, the kiosk and the printed notice's QR code all carry)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request

from sync.database import Database
from sync.errors import NotFoundError
from village_app.county.keyring import known_keys
from village_app.domain.publicity import RESOLUTION_PUBLICATIONS, DocType, twin_id
from village_app.domain.signing import SIGNATURE, Verdict, content_hash, verify
from village_app.web.state import app_state

#: The stages that are publications (each shows the signature's status on the page).
PUBLICATION_STAGES: Final = RESOLUTION_PUBLICATIONS | {"result_publication"}


@dataclass(frozen=True)
class PublicationSignature:
    verdict: Verdict
    verify_url: str  # the county's verify page for this publication
    stages: frozenset[str]  # the stages the signed content holds

    @property
    def fingerprint_text(self) -> str:
        key = self.verdict.key or ""
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    def covers(self, stage: str) -> bool:
        """Whether ``stage`` is a publication the signed content holds."""
        return stage in PUBLICATION_STAGES and stage in self.stages


def _digest(twin: Mapping[str, Any]) -> str:
    """The hash a QR code of this publication carries: the one signed, else the content's."""
    block = twin.get(SIGNATURE)
    signed = block.get("hash") if isinstance(block, Mapping) else None
    return signed if isinstance(signed, str) and signed else content_hash(twin)


async def publication_signature(
    request: Request, db: Database, code: str, matter_id: str
) -> PublicationSignature | None:
    """The signature status of the matter's publication; ``None`` while nothing of it is
    public (no twin, or a withdrawn one)."""
    try:
        twin = await db.get(twin_id(matter_id))
    except NotFoundError:
        return None
    if twin.get("type") != DocType.PUBLIC_MATTER or twin.get("withdrawn") is True:
        return None
    verdict = verify(twin, known_keys(app_state(request).settings.keys_dir))
    query = urlencode({"v": code, "m": matter_id, "h": _digest(twin)})
    stages = frozenset(
        str(s.get("stage")) for s in twin.get("stages") or [] if isinstance(s, Mapping)
    )
    return PublicationSignature(verdict, f"{request.url_for('verify').path}?{query}", stages)
