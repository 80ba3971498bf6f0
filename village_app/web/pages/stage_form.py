"""The form that records a stage of a matter (or corrects a record): on the matter page for
the next stage, on its own page, and back with its errors after a refused save."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.requests import Request

from village_app.domain import MEETING_FORMS, Matter, StageRecord, StageSpec
from village_app.web import resolve
from village_app.web.pages.live import LiveResult, check_meeting
from village_app.web.rendering import forms
from village_app.web.rendering.templates import request_locale


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
    if spec.meeting:
        rules = await resolve.store(request).rules()
        live = check_meeting(FormData(dict(state.values)), rules, request_locale(request))
    return StageForm(matter, spec, tuple(str(b) for b in bodies), state, live, correcting)
