"""URL parts and the session to the things a handler works on, or a named not-found error.

Handlers call these first, so "which village, who, which matter, which stage" is decided in
one place: :func:`store` is the request's one :class:`~village_app.repo.VillageStore`.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from village_app import repo
from village_app.domain import BodyKind, Matter, StageSpec, stages_for
from village_app.i18n import N_
from village_app.repo import sealing
from village_app.repo.ids import is_form_key
from village_app.web.errors import PageNotFound
from village_app.web.rendering.templates import current_user
from village_app.web.state import app_state

#: Where, in the data folder, scans of refused forms wait (see :mod:`village_app.repo.pending`).
PENDING_FOLDER = "pending"


def store(request: Request) -> repo.VillageStore:
    """The village store this request works on: the laptop's village database, the signed-in
    user's village, the user as the actor. Made once per request."""
    made: repo.VillageStore | None = getattr(request.state, "village_store", None)
    if made is not None:
        return made
    state = app_state(request)
    if state.db is None:
        raise HTTPException(
            404, N_("数据目录中还没有村庄。请先运行 village-app demo 载入示例村，或创建村庄数据。")
        )
    user = current_user(request) or {}
    code = user.get("village") or state.village
    if not code:
        raise HTTPException(404)
    actor = repo.Actor(str(user.get("name", "?")))
    key = sealing.key_for(state.settings.data_dir)
    made = repo.VillageStore(state.db, str(code), actor, state.caches_for(str(code)), seal_key=key)
    request.state.village_store = made
    return made


def pending(request: Request, key: str | None) -> repo.PendingUploads | None:
    """The scans held for the form whose idempotency key is ``key`` (``None``: no key, so
    nothing can be held for it). They sit in the data folder, per village."""
    if not key or not is_form_key(key):
        return None
    root = app_state(request).settings.data_dir / PENDING_FOLDER / store(request).village
    return repo.PendingUploads(root, key)


async def matter(request: Request) -> Matter:
    """The matter named by ``{matter_id}``; another village's id is not found either."""
    return await store(request).get_matter(request.path_params["matter_id"])


def stage(matter: Matter, key: str) -> StageSpec:
    for spec in stages_for(matter.procedure):
        if spec.key == key:
            return spec
    raise PageNotFound("阶段", key)


def body_kind(key: str) -> BodyKind:
    try:
        return BodyKind(key)
    except ValueError:
        raise PageNotFound("组织", key) from None
