"""The form that records a stage of a matter (or corrects a record): on the matter page for
the next stage, on its own page, and back with its errors after a refused save."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.requests import Request

from village_app.domain import MEETING_FORMS, Matter, RuleBook, StageRecord, StageSpec, rule_for
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
    #: The most one submission may upload (the page refuses more before sending).
    max_upload_bytes: int = MAX_ATTACHMENT_BYTES
    #: Scans sent with an earlier, refused try of this form, held for it (shown as chips).
    held: tuple[PendingFile, ...] = ()

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
    bodies = spec.allowed_bodies(matter.body)
    if bodies:
        state.values.setdefault("body", bodies[0])
    live = None
    bases: tuple[str, ...] = ()
    if spec.meeting:
        rules = await resolve.store(request).rules()
        live = check_meeting(FormData(dict(state.values)), rules, request_locale(request))
        bases = _bases(bodies, rules)
    return StageForm(
        matter,
        spec,
        tuple(str(b) for b in bodies),
        state,
        live,
        correcting,
        bases=bases,
        max_upload_bytes=app_state(request).settings.max_attachment_bytes,
        held=_held(request, state),
    )


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
