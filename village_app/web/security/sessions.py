"""Ending sessions at logout for good.

Sessions are signed cookies: the server keeps nothing, so clearing the cookie at logout
leaves any copy of it (another tab's, or one taken from the laptop) valid until it
expires. Each login therefore gets a random session id, and logout records that id as
ended until the cookie would have expired anyway. The list is kept in a ``_local``
document of the village database (never replicated), so a restart does not revive them.
"""

from __future__ import annotations

import time
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from sync.database import Database
from sync.errors import NotFoundError
from village_app.repo.retry import retry_on_conflict

SESSION_ID_KEY: Final = "sid"
_DOC_ID: Final = "_local/ended_sessions"


class SessionRevocations:
    def __init__(self, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        #: session id -> when it ended (wall clock: the list outlives the process).
        self._ended: dict[str, float] = {}

    def is_ended(self, session_id: str) -> bool:
        return session_id in self._ended

    def _prune(self) -> None:
        cutoff = time.time() - self.max_age_seconds
        self._ended = {sid: at for sid, at in self._ended.items() if at > cutoff}

    async def load(self, db: Database | None) -> None:
        if db is None:
            return
        try:
            doc = await db.get_local(_DOC_ID)
        except NotFoundError:
            return
        ended = doc.get("ended")
        if isinstance(ended, dict):
            self._ended.update(
                {str(k): float(v) for k, v in ended.items() if isinstance(v, int | float)}
            )
        self._prune()

    async def end(self, session_id: str, db: Database | None) -> None:
        """Refused from now on; remembered in the database when there is one (two logouts at
        once conflict: read again and retry; given up, it raises rather than forget one)."""
        self._ended[session_id] = time.time()
        self._prune()
        if db is None:
            return

        async def attempt() -> None:
            doc: dict[str, Any] = {"_id": _DOC_ID, "ended": dict(self._ended)}
            try:
                existing = await db.get_local(_DOC_ID)
                doc["_rev"] = existing["_rev"]
                stored = existing.get("ended")
                if isinstance(stored, dict):
                    doc["ended"] = {**stored, **doc["ended"]}
            except NotFoundError:
                pass
            await db.put_local(doc)

        await retry_on_conflict(attempt, what="the list of ended sessions", ids=[_DOC_ID])


class EndedSessionMiddleware:
    """A session that logout ended (its cookie may still be signed and fresh) is signed out
    before anything reads it. Inside ``SessionMiddleware``, before authentication."""

    def __init__(self, app: ASGIApp, revocations: SessionRevocations) -> None:
        self.app = app
        self.revocations = revocations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session") if scope["type"] == "http" else None
        if session and session.get("user"):
            session_id = session.get(SESSION_ID_KEY)
            if not isinstance(session_id, str) or self.revocations.is_ended(session_id):
                session.clear()  # ended at logout (or from before session ids): signed out
        await self.app(scope, receive, send)
