"""Form fields to domain values. Anything malformed becomes the domain's
:class:`ValidationError` naming the field, so the form shows it beside that field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import cast

from starlette.datastructures import FormData, UploadFile

from village_app.domain import (
    Attendance,
    DomainError,
    Invalid,
    Problems,
    Publication,
    StageRecord,
    StageSpec,
    ValidationError,
    Vote,
)
from village_app.domain.dates import check_date_range, parse_local, to_shanghai
from village_app.domain.meetings import Choice
from village_app.i18n import N_, Message

#: Names may be separated by new lines or Chinese/Latin commas and enumeration commas.
_NAME_SEPARATORS = re.compile(r"[\n\r,，、;；]+")
_MAX_FIELD = 20_000
_NO_NAMES: tuple[str, ...] = ()
#: Characters no field takes: C0 controls but tab and newlines (NUL among them), DEL, lone
#: surrogates, and the bidirectional overrides and isolates that make a name or title read
#: differently from what it holds (U+202E turned "hcraM" into "March").
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


@dataclass
class FormState:
    """What a form shows: the values typed, and errors by field (``""`` for the whole form)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Every value of a field sent several times (checkboxes sharing a name).
    lists: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, form: FormData) -> FormState:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in values}
        return cls(values, lists=lists)

    def fail(self, exc: DomainError, locale: str) -> FormState:
        """This state with each error beside its field (all of them, for :class:`Invalid`),
        in the page's language."""
        for error in exc.errors if isinstance(exc, Invalid) else (exc,):
            self.errors.setdefault(error.field or "", error.message(locale))
        return self

    @property
    def ok(self) -> bool:
        return not self.errors


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    if isinstance(value, UploadFile) or value is None:
        return ""
    if len(value) > _MAX_FIELD:
        raise ValidationError(N_("内容过长：每一项最多 %(n)s 字"), {"n": _MAX_FIELD}, field=name)
    if _FORBIDDEN.search(value):
        raise ValidationError(N_("含有不允许的字符（控制字符或文字方向符）"), field=name)
    return value.strip()


@dataclass(frozen=True)
class Reader:
    """A form's text fields read with their errors noted in ``problems`` (an unreadable field
    reads as empty), so every field of the form is checked in one submission."""

    form: FormData
    problems: Problems

    def text(self, name: str) -> str:
        return self.problems.value(partial(text, self.form, name), "")


def raised(exc: DomainError, kind: type[DomainError]) -> bool:
    """Whether ``exc`` is, or (several at once) holds, an error of ``kind``."""
    found = exc.errors if isinstance(exc, Invalid) else (exc,)
    return any(isinstance(e, kind) for e in found)


def flag(form: FormData, name: str) -> bool:
    """A checkbox: sent (with any value) when ticked, absent otherwise."""
    return bool(text(form, name))


def integer(form: FormData, name: str, label: str) -> int | None:
    """A whole number, or ``None`` when the field is blank (``label``: the field's msgid)."""
    raw = text(form, name)
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,7}", raw):  # not \d: it takes ٣ and ３, which int() reads too
        raise ValidationError(
            N_("%(label)s：请填写 0 到 9999999 之间的整数"), {"label": Message(label)}, field=name
        )
    return int(raw)


def names(form: FormData, name: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in _NAME_SEPARATORS.split(text(form, name)) if n.strip())


def moment(form: FormData, name: str) -> datetime | None:
    raw = text(form, name)
    return parse_local(raw, field=name) if raw else None


def day(form: FormData, name: str) -> date | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            N_("日期格式不正确：%(date)s（应为 2026-11-25）"), {"date": raw}, field=name
        ) from None
    check_date_range(value, field=name, text=raw)
    return value


def attendance(form: FormData, problems: Problems | None = None) -> Attendance | None:
    """The counts and who came; with ``problems``, each field's error is noted there (and the
    attendance is ``None``) instead of raised, so the form hears of every field at once."""
    problems = problems if problems is not None else _Raising()
    expected = problems.value(lambda: integer(form, "expected", N_("应到人数")), None)
    present = problems.value(lambda: integer(form, "present", N_("实到人数")), None)
    attendees = problems.value(partial(names, form, "attendees"), _NO_NAMES) + ticked(
        form, "attendee"
    )
    if present is None and attendees and not problems.about("present"):
        present = len(attendees)  # ticked on the roster: 实到 is how many were ticked
    if problems.about("expected", "present") or (expected is None and present is None):
        return None
    if expected is None:
        problems.add(ValidationError(N_("请填写应到人数"), field="expected"))
    if present is None:
        problems.add(ValidationError(N_("请填写实到人数"), field="present"))
    if expected is None or present is None:
        return None
    # Only a villagers' meeting counts adults or households; every other body counts members,
    # whatever a stale <select> still says.
    basis = (
        (text(form, "basis") or "adults")
        if text(form, "body") == "villagers_meeting"
        else "members"
    )
    return Attendance(expected=expected, present=present, basis=basis, attendees=attendees)


#: A named vote's choices and the form fields listing who made each (one name a line).
_NAMED_FIELDS: tuple[tuple[Choice, str], ...] = (
    ("for", "voted_for"),
    ("against", "voted_against"),
    ("abstain", "voted_abstain"),
)


def vote(form: FormData, problems: Problems | None = None) -> Vote | None:
    """The counts; with a named vote (optional), who voted how. Counts left blank beside a
    named vote are taken from it; counts typed must agree with it (the domain checks)."""
    problems = problems if problems is not None else _Raising()
    counts = [
        problems.value(partial(integer, form, n, label), None)
        for n, label in (
            ("in_favour", N_("赞成票")),
            ("against", N_("反对票")),
            ("abstain", N_("弃权票")),
        )
    ]
    by_name = tuple(
        (name, choice)
        for choice, field_name in _NAMED_FIELDS
        for name in problems.value(partial(names, form, field_name), _NO_NAMES)
    ) + roster_votes(form)
    if problems.about("in_favour", "against", "abstain", *(f for _, f in _NAMED_FIELDS)):
        return None
    if by_name and all(c is None for c in counts):
        counts = [sum(1 for _, choice in by_name if choice == c) for c, _ in _NAMED_FIELDS]
    if all(c is None for c in counts):
        return None
    in_favour, against, abstain = (c or 0 for c in counts)
    return Vote(in_favour=in_favour, against=against, abstain=abstain, by_name=by_name)


def ticked(form: FormData, name: str) -> tuple[str, ...]:
    """The values of a group of ticked boxes (names on a roster), each once, in order."""
    values = [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
    return tuple(dict.fromkeys(v for v in values if not _FORBIDDEN.search(v)))


#: A roster's named vote: one group of radio buttons per person, ``choice:<name>``.
CHOICE_PREFIX = "choice:"
_CHOICES: frozenset[str] = frozenset(c for c, _ in _NAMED_FIELDS)


def roster_votes(form: FormData) -> tuple[tuple[str, Choice], ...]:
    """Who voted how, from the roster's radio buttons (a person left blank did not vote by
    name); in the roster's order."""
    found: list[tuple[str, Choice]] = []
    for key in dict.fromkeys(form.keys()):
        if not key.startswith(CHOICE_PREFIX):
            continue
        name, choice = key[len(CHOICE_PREFIX) :].strip(), form.get(key)
        if name and not _FORBIDDEN.search(name) and choice in _CHOICES:
            found.append((name, cast(Choice, choice)))
    return tuple(found)


def stage_record(
    form: FormData, matter_id: str, spec: StageSpec, problems: Problems | None = None
) -> StageRecord:
    """A stage record as typed; the domain validates it against the procedure. With
    ``problems``, a field that cannot be read is noted there (and left empty in the record)
    rather than raised, so the domain's checks of the other fields still run and the form
    shows every error at once."""
    problems = problems if problems is not None else _Raising()

    read = Reader(form, problems).text

    if spec.publication:
        published_at = problems.value(lambda: moment(form, "published_at"), None)
        if published_at is None and not problems.about("published_at"):
            problems.add(ValidationError(N_("请填写公开时间"), field="published_at"))
        return StageRecord(
            matter=matter_id,
            stage=spec.key,
            subject=read("subject"),
            content=read("content"),
            publication=Publication(
                what=read("what"), where=read("where"), published_at=published_at
            )
            if published_at is not None
            else None,
        )
    return StageRecord(
        matter=matter_id,
        stage=spec.key,
        body=read("body"),
        subject=read("subject"),
        held_at=problems.value(lambda: moment(form, "held_at"), None),
        place=read("place"),
        form=read("form") or "现场会议",
        attendance=attendance(form, problems),
        vote=vote(form, problems),
        content=read("content"),
        township_staff=problems.value(partial(names, form, "township_staff"), _NO_NAMES),
    )


class _Raising(Problems):
    """Problems that are raised at once (the callers that want the first error only)."""

    def add(self, exc: DomainError) -> None:
        raise exc


def _local_input(moment: datetime | None) -> str:
    """A time as ``<input type=datetime-local>`` wants it, in Shanghai wall time."""
    return to_shanghai(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def record_values(record: StageRecord) -> dict[str, str]:
    """A stored record as form values (to prefill a correction)."""
    values = {
        "body": record.body,
        "subject": record.subject,
        "held_at": _local_input(record.held_at),
        "place": record.place,
        "form": record.form,
        "content": record.content,
        "township_staff": "\n".join(record.township_staff),  # one per line, as the field says
    }
    if record.attendance:
        a = record.attendance
        values.update(
            expected=str(a.expected),
            present=str(a.present),
            basis=a.basis,
            attendees="\n".join(a.attendees),
        )
    if record.vote:
        v = record.vote
        values.update(in_favour=str(v.in_favour), against=str(v.against), abstain=str(v.abstain))
        for choice, field_name in _NAMED_FIELDS:
            values[field_name] = "\n".join(name for name, c in v.by_name if c == choice)
    if record.publication:
        p = record.publication
        values.update(what=p.what, where=p.where, published_at=_local_input(p.published_at))
    return values


#: Sent with a correction form that lists the original's scans (the ``carry`` boxes): without
#: it, nothing ticked means "carry them all" (the form as first shown).
CARRY_SHOWN = "carry_shown"


def carried(form: FormData, original: StageRecord) -> tuple[str, ...]:
    """The original's scans a correction keeps: those still ticked (all, by default)."""
    names = [a.name for a in original.attachments]
    if not text(form, CARRY_SHOWN):
        return tuple(names)
    ticked = {v for v in form.getlist("carry") if isinstance(v, str)}
    return tuple(n for n in names if n in ticked)


def record_state(record: StageRecord) -> FormState:
    """A stored record as a form to correct: its values, its attendees ticked on the roster and
    its named votes chosen (the same names fill the typed fields where there is no roster)."""
    values = record_values(record)
    if record.vote:
        values.update({f"{CHOICE_PREFIX}{name}": choice for name, choice in record.vote.by_name})
    attendees = list(record.attendance.attendees) if record.attendance else []
    return FormState(values, lists={"attendee": attendees})


def form_key(form: FormData) -> str | None:
    """The idempotency key the rendered form carried (see ``csrf()`` in ``_fields.html``)."""
    return text(form, "form_key") or None
