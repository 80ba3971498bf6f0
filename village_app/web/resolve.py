"""URL parts and the session to the things a handler works on, or a named not-found error.

Handlers call these first, so "which village, who, which matter, which stage" is
decided in one place.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from sync.database import Database
from village_app import repo
from village_app.domain import BodyKind, Matter, RuleBook, StageSpec, stages_for
from village_app.i18n import N_
from village_app.web.errors import PageNotFound
from village_app.web.rendering import current_user


def db(request: Request) -> Database:
    database: Database | None = request.app.state.db
    if database is None:
        raise HTTPException(404, N_("数据目录中还没有村庄。请先运行 village-app demo 载入示例村，或创建村庄数据。"))
    return database


def village(request: Request) -> str:
    """The village the signed-in secretary keeps records for."""
    user = current_user(request)
    code = (user or {}).get("village") or request.app.state.village
    if not code:
        raise HTTPException(404)
    return str(code)


def actor(request: Request) -> repo.Actor:
    user = current_user(request) or {}
    return repo.Actor(str(user.get("name", "?")))


async def matter(request: Request) -> Matter:
    """The matter named by ``{matter_id}``; another village's id is not found either."""
    return await repo.get_matter(db(request), village(request), request.path_params["matter_id"])


async def rules(request: Request) -> RuleBook:
    """The village's quorum and majority rules, read again only after the database changed.

    The live check asks for them on every keystroke and each matter page for its next
    stage's hint; reading them means a query over the bodies' documents. ``update_seq`` moves
    with any write or replication, so a cached book is never older than the database."""
    database, code = db(request), village(request)
    seq = (await database.info())["update_seq"]
    cache: dict[str, tuple[object, RuleBook]] = request.app.state.rules_cache
    cached = cache.get(code)
    if cached is not None and cached[0] == seq:  # sequences are opaque: equality only
        return cached[1]
    book = await repo.get_rules(database, code)
    cache[code] = (seq, book)
    return book


def stage(matter: Matter, key: str) -> StageSpec:
    for spec in stages_for(matter.kind):
        if spec.key == key:
            return spec
    raise PageNotFound("阶段", key)


def body_kind(key: str) -> BodyKind:
    try:
        return BodyKind(key)
    except ValueError:
        raise PageNotFound("组织", key) from None
