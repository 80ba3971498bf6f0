"""The form that records a stage of a matter (or corrects a record): on the matter page for
the next stage, on its own page, and back with its errors after a refused save."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from starlette.datastructures import FormData
from starlette.requests import Request

from village_app.domain import (
    MEETING_FORMS,
    DomainError,
    Matter,
    RuleBook,
    StageRecord,
    StageSpec,
    effective,
    rule_for,
)
from village_app.domain.dates import parse_local, to_shanghai
from village_app.domain.rosters import MeetingRoster
from village_app.i18n import now_local
from village_app.repo import PendingFile
from village_app.web import resolve
from village_app.web.pages.live import LiveResult, check_meeting
from village_app.web.rendering import forms
from village_app.web.rendering.templates import request_locale
from village_app.web.settings import MAX_ATTACHMENT_BYTES
from village_app.web.state import app_state


@dataclass(frozen=True)
class StageForm:
    matter: Matter
    spec: StageSpec
    bodies: tuple[str, ...]
    state: forms.FormState = field(default_factory=forms.FormState)
    live: LiveResult | None = None
    #: The record being corrected (the form then asks for a reason).
    correcting: StageRecord | None = None
    meeting_forms: tuple[str, ...] = MEETING_FORMS
    #: The ways attendance may be counted, when one of the bodies has a choice (a villagers'
    #: meeting: adults or households); empty when every body counts its members.
    bases: tuple[str, ...] = ()
    #: Of ``bodies``, those the choice of ``bases`` is for.
    basis_bodies: tuple[str, ...] = ()
    #: The most one submission may upload (the page refuses more before sending).
    max_upload_bytes: int = MAX_ATTACHMENT_BYTES
    #: Scans sent with an earlier, refused try of this form, held for it (shown as chips).
    held: tuple[PendingFile, ...] = ()
    #: Who is expected at the meeting (the body's roster on its day, or today's while no day
    #: is typed): ticks for attendance and the named vote; ``None`` where names are typed.
    roster: MeetingRoster | None = None

    @property
    def roster_names(self) -> tuple[str, ...]:
        """The names to tick (none: the form takes typed names)."""
        return self.roster.names if self.roster is not None and self.roster.usable else ()

    def ticked(self, name: str) -> bool:
        return name in self.state.lists.get("attendee", [])

    def choice(self, name: str) -> str:
        return self.state.values.get(f"{forms.CHOICE_PREFIX}{name}", "")

    @property
    def expected(self) -> str:
        """应到 as typed, else the roster's size (prefilled)."""
        typed = self.state.values.get("expected", "")
        return typed if typed or "expected" in self.state.values else self.roster_size

    @property
    def roster_size(self) -> str:
        return str(len(self.roster_names)) if self.roster_names else ""

    def carries(self, name: str) -> bool:
        """Whether the correction form ticks the original's scan ``name`` (all, at first)."""
        if forms.CARRY_SHOWN not in self.state.values:
            return True
        return name in self.state.lists.get("carry", [])

    @property
    def dom_id(self) -> str:
        return f"stage-form-{self.spec.key}"


@dataclass(frozen=True)
class StagePage:
    form: StageForm
    #: The form on a page of its own (not the matter page's, swapped in place by htmx).
    standalone: bool = False

    @property
    def live(self) -> LiveResult | None:
        return self.form.live


async def build_form(
    request: Request,
    matter: Matter,
    spec: StageSpec,
    state: forms.FormState | None = None,
    correcting: StageRecord | None = None,
) -> StageForm:
    state = state or forms.FormState()
    if spec.key in TEXT_FROM and "content" not in state.values and correcting is None:
        # A publication starts from the text of the resolution it makes public.
        records = effective(await resolve.store(request).list_stage_records(matter.id))
        source = next((r for r in records if r.stage == TEXT_FROM[spec.key]), None)
        if source is not None:
            state.values["content"] = source.content
    bodies = spec.allowed_bodies(matter.body)
    if bodies:
        state.values.setdefault("body", bodies[0])
    live = None
    bases: tuple[str, ...] = ()
    basis_bodies: tuple[str, ...] = ()
    roster = None
    if spec.meeting:
        roster = await resolve.store(request).meeting_roster(
            state.values.get("body", ""), _meeting_day(state)
        )
        if roster is not None and roster.usable:
            state.values.setdefault("roster_size", str(len(roster.names)))
        rules = await resolve.store(request).rules()
        values = {"expected": StageForm(matter, spec, (), state, roster=roster).expected}
        live = check_meeting(FormData({**state.values, **values}), rules, request_locale(request))
        bases = _bases(bodies, rules)
        basis_bodies = tuple(str(b) for b in bodies if len(rule_for(b, rules).quorum) > 1)
    return StageForm(
        matter,
        spec,
        tuple(str(b) for b in bodies),
        state,
        live,
        correcting,
        bases=bases,
        basis_bodies=basis_bodies,
        max_upload_bytes=app_state(request).settings.max_attachment_bytes,
        held=_held(request, state),
        roster=roster,
    )


#: The record whose text a publication starts from (the resolution it makes public).
TEXT_FROM = {"resolution_publication": "resolution", "council_publication": "council_resolution"}
#: The fields of a publication its draft notice words.
_WORDED = ("what", "where", "published_at", "content")


def worded(request: Request, spec: StageSpec | None) -> forms.FormState | None:
    """A publication's form as worded on its draft notice (printed and posted first), from
    the address the notice links to; ``None`` for any other form or address."""
    if spec is None or not spec.publication or request.query_params.get("stage") != spec.key:
        return None
    return forms.FormState({k: v for k, v in request.query_params.items() if k in _WORDED})


def _meeting_day(state: forms.FormState) -> date:
    """The day typed for the meeting, else today (Shanghai)."""
    try:
        typed = parse_local(state.values.get("held_at", ""))
    except (DomainError, ValueError):
        return now_local().date()
    return to_shanghai(typed).date()


def _held(request: Request, state: forms.FormState) -> tuple[PendingFile, ...]:
    """The scans held for the form, when it comes back (a form shown anew has none)."""
    held = resolve.pending(request, state.values.get("form_key"))
    return tuple(held.files()) if held is not None else ()


def _bases(bodies: tuple[str, ...], rules: RuleBook) -> tuple[str, ...]:
    """The bases of the bodies that may count attendance more than one way, then the others'."""
    quorums = [tuple(rule_for(b, rules).quorum) for b in bodies]
    if all(len(q) < 2 for q in quorums):
        return ()
    ordered = [b for q in quorums if len(q) > 1 for b in q] + [b for q in quorums for b in q]
    return tuple(dict.fromkeys(ordered))
