"""One visit at the kiosk, so that a villager rates a project once per visit.

Everyone at the kiosk shares one browser, so a visit is not a person: it is the time from the
home screen until the screen goes back home by itself after two minutes untouched (the idle
return, ``IDLE_SECONDS``). The session cookie carries a random visit id; what each visit rated
is kept here, in the server, where the screen cannot reach it. A request for the home screen
that comes at least the idle time after the visit's previous request is the idle return (the
page's timer fires two minutes after the last touch, itself no earlier than the last request),
and starts a new visit; pressing 返回首页 in between does not. A visit the server does not know
(a restart) is a new one. At most ``keep`` visits are remembered, the oldest forgotten."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from starlette.requests import Request

VISIT_KEY: Final = "kiosk_visit"
#: The idle return comes this much after the last request at the earliest (the page's timer
#: counts from the last touch); a little is allowed for the way there.
_SLACK_SECONDS: Final = 5.0


@dataclass
class _Visit:
    last: float
    rated: set[str] = field(default_factory=set)


class Visits:
    def __init__(
        self,
        idle_seconds: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        keep: int = 5000,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.keep = keep
        self._visits: OrderedDict[str, _Visit] = OrderedDict()

    def current(self, request: Request, *, at_home: bool) -> str:
        """The visit this request belongs to (a new one after the idle return); noted as
        seen now."""
        session = request.scope.get("session")
        if session is None:  # outside the app's session middleware (never in the app)
            return ""
        now = self.clock()
        vid = session.get(VISIT_KEY)
        visit = self._visits.get(vid) if isinstance(vid, str) else None
        idle_return = (
            visit is not None and at_home and now - visit.last >= self.idle_seconds - _SLACK_SECONDS
        )
        if visit is None or idle_return:
            vid = secrets.token_urlsafe(16)
            session[VISIT_KEY] = vid
            visit = self._visits[vid] = _Visit(now)
        assert isinstance(vid, str)
        visit.last = now
        self._visits.move_to_end(vid)
        while len(self._visits) > self.keep:
            self._visits.popitem(last=False)
        return vid

    def rated(self, vid: str, project_id: str) -> bool:
        visit = self._visits.get(vid)
        return visit is not None and project_id in visit.rated

    def mark(self, vid: str, project_id: str) -> None:
        visit = self._visits.get(vid)
        if visit is not None:
            visit.rated.add(project_id)
