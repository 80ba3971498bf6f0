"""The domain: 一核多会 and 四议两公开 as pure rules (no HTTP, no SQL, no ``sync``).

Plain data in (frozen dataclasses), plain data out, or a named error
(:mod:`.errors`). Map of the public API, all importable from here:

No language is chosen here: what is said to people is a msgid (the Chinese source text,
marked with ``i18n.N_``) with parameters (``i18n.Message``), and name tables map keys to
msgids; the web layer translates through the catalog (``village_app/locale``).

**Errors** (``errors``): ``DomainError`` (``code``, ``msgid``, ``params``, ``field``,
``ids``, ``status``; ``.message(locale)`` from the catalog, ``str()`` English) and its kinds
``ValidationError``, ``NotQuorate``, ``VoteRejected``, ``VoteArithmetic``,
``StageOrder`` (409), ``InvalidAttachment``, ``AttachmentTooLarge`` (413),
``Ineligible``, ``CorrectionInvalid`` (409), ``StatusTransition`` (409),
``NotFound`` (404), ``EditConflict`` (409); ``Invalid`` (several fields at once) and
``Problems``, which gathers the errors of independent checks into one. ``field`` is a flat form-field name:
``title kind body year summary category commendation`` (matter);
``stage body subject held_at place form expected present basis attendees
in_favour against abstain by_name content township_staff`` (stage record);
``what where published_at`` (publication); ``reason corrects`` (correction);
``finding follow_up status recorded_by`` (supervision);
``name role term_start term_end convenor close_relatives`` (member);
``code name township county`` (village); ``attachment`` (upload).

**Organisation** (``organisation``): ``BodyKind`` (keys: party_branch,
branch_committee, villagers_committee, two_committees, party_members,
villagers_meeting, representatives, residents_council,
weddings_funerals_council, moral_review_council, worthies_association,
supervision_committee), ``BODY_NAMES`` (msgids), ``body_name(kind)`` (its msgid),
``named_body(kind)`` (a message parameter),
``COUNCILS``, ``ROSTER_BODIES``, ``Village`` + ``validate_village``, ``Body``,
``Member`` (+ ``active_on(day)``, ``ended_by(day)``, ``history``) + ``validate_member(member,
roster, same_name_ok=)`` (``DuplicateName`` unless told it is a namesake), ``MemberChange`` and
``member_changes(old, new)`` over ``MEMBER_FIELDS``,
``check_supervision_eligibility``, ``active_members(roster, body, day)``.

**Rules** (``rules``): ``Threshold(fraction, strict)`` (``met``, ``minimum``,
``describe() -> Message``), ``BodyRule(quorum={basis: Threshold}, majority, majority_of)``
(``to_data``/``from_data``, ``describe()``: its clauses as messages), ``BASIS_NAMES``,
``DEFAULT_RULES``,
``rules_with_overrides(overrides) -> RuleBook``, ``rule_for(body, rules)``.

**Meetings** (``meetings``): ``Attendance(expected, present, basis, attendees)``
(``ratio`` Fraction, ``ratio_percent()``), ``Vote(in_favour, against, abstain,
by_name)``, ``MeetingOutcome(quorate, quorum_needed, passed, votes_needed)``
(``succeeded``, ``summary() -> Message``), ``evaluate_meeting(rule, attendance, vote)``
(live quorum/result while typing), ``quorum_needed(rule, expected, basis)``,
``validate_attendance``, ``validate_vote``, ``require_success``.

**Procedure** (``procedure``): ``MatterKind`` (major, council), ``StageSpec``
(key, number, name, bodies, meeting, vote, text_label, text_required,
publication, township_staff), ``MAJOR_STAGES`` (proposal, consultation, review, resolution,
resolution_publication, result_publication), ``COUNCIL_STAGES``
(council_proposal, deliberation, council_vote, council_resolution,
council_publication), ``COMPLETED``, ``STAGE_NAMES``,
``stages_for(kind)``, ``stage_spec(kind, key)``, ``next_stage(kind, done)``,
``check_stage_allowed``, ``allowed_matter_bodies(kind)``.

**Matters and records**: ``Matter`` (``completed``, ``may_commend``) + ``validate_matter``
(``matters``);
``StageRecord``, ``Publication(what, where, published_at)``, ``AttachmentRef``,
``MEETING_FORMS``, ``record_stage(matter, history, record, rules,
refuse_failed=False)`` (returns the record with rule + outcome; a failed
meeting is kept but does not advance), ``correct_stage_record(matter, history,
target_id, record, reason, rules)``, ``done_stages(history)`` (``records``);
``Chain`` (``current``, ``superseded``, ``corrected``), ``fold_corrections``,
``effective`` (``corrections``); ``SupervisionEntry``, ``SupervisionThread``,
``record_supervision(entry, roster, thread)``, ``fold_supervision``,
``STATUSES``/``STATUS_NAMES`` (``supervision``); ``StageView`` (``status``,
``status_name``; ``STAGE_STATUS_NAMES``), ``MatterView`` (``stages``, ``next_stage``, ``current_stage``,
``corrections``, ``supervision``), ``fold_matter(matter, records,
supervision)`` (``timeline``).

**Weddings and funerals** (``ceremonies``): ``CEREMONY_COUNCIL``, ``CEREMONY_KINDS``
(msgids), ``Ceremony`` (kind wedding/funeral,
family, held_on, tables, cost_per_table, gift; ``kept``/``breaches`` computed),
``CeremonyLimits``, ``limits_from_data``, ``register_ceremony(ceremony, limits)``,
``check_ceremony``.

Editable records (``Matter``, ``Member``, ``Body``) carry ``rev`` (the revision
read; send it back with an edit) and, for matters and members, ``conflicts``.

**Attachments** (``attachments``): ``validate_attachment(filename, data) ->
CheckedAttachment(name, content_type, data)``, ``sniff_content_type``,
``MAX_ATTACHMENT_BYTES``.

**Publicity** (``publicity``): ``DocType``, the allow-list ``PUBLIC_FIELDS`` and
``check_public(doc, village)``, ``is_shown(doc, village)``, the projections ``public_matter``
(and village, body, member, rule), ``twin_id``, ``kiosk_selector()``.

**Dates** (``dates``): ``SHANGHAI``, ``parse_local`` (form input as
Shanghai time), ``iso_local``, ``utc_stamp`` (document ``created_at``: UTC,
``...Z``), ``parse_stamp``, ``to_shanghai``.
"""

from __future__ import annotations

from village_app.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    CheckedAttachment,
    sniff_content_type,
    validate_attachment,
)
from village_app.domain.ceremonies import (
    CEREMONY_COUNCIL,
    CEREMONY_KINDS,
    Ceremony,
    CeremonyLimits,
    check_ceremony,
    limits_from_data,
    register_ceremony,
)
from village_app.domain.corrections import Chain, effective, fold_corrections
from village_app.domain.dates import (
    SHANGHAI,
    iso_local,
    parse_local,
    parse_stamp,
    to_shanghai,
    utc_stamp,
)
from village_app.domain.errors import (
    AttachmentTooLarge,
    CorrectionInvalid,
    DomainError,
    EditConflict,
    Ineligible,
    Invalid,
    InvalidAttachment,
    NotFound,
    NotQuorate,
    Problems,
    RecordUnreadable,
    RetriesExhausted,
    StageOrder,
    StatusTransition,
    ValidationError,
    VoteArithmetic,
    VoteRejected,
)
from village_app.domain.matters import Matter, validate_matter
from village_app.domain.meetings import (
    Attendance,
    MeetingOutcome,
    Vote,
    evaluate_meeting,
    quorum_needed,
    require_success,
    validate_attendance,
    validate_vote,
)
from village_app.domain.organisation import (
    BODY_NAMES,
    COUNCILS,
    MEMBER_FIELDS,
    ROSTER_BODIES,
    Body,
    BodyKind,
    DuplicateName,
    Member,
    MemberChange,
    Village,
    active_members,
    body_name,
    check_duplicate_name,
    check_supervision_eligibility,
    member_changes,
    named_body,
    validate_member,
    validate_village,
)
from village_app.domain.procedure import (
    COMPLETED,
    COUNCIL_STAGES,
    MAJOR_STAGES,
    STAGE_NAMES,
    MatterKind,
    StageSpec,
    allowed_matter_bodies,
    check_stage_allowed,
    next_stage,
    stage_spec,
    stages_for,
)
from village_app.domain.publicity import (
    PUBLIC_FIELDS,
    DocType,
    check_public,
    is_shown,
    kiosk_selector,
    twin_id,
)
from village_app.domain.records import (
    MEETING_FORMS,
    AttachmentRef,
    Publication,
    StageRecord,
    correct_stage_record,
    done_stages,
    record_stage,
)
from village_app.domain.rules import (
    BASIS_NAMES,
    DEFAULT_RULES,
    BodyRule,
    RuleBook,
    Threshold,
    rule_for,
    rules_with_overrides,
)
from village_app.domain.supervision import (
    STATUS_NAMES,
    STATUSES,
    SupervisionEntry,
    SupervisionThread,
    fold_supervision,
    record_supervision,
)
from village_app.domain.timeline import STAGE_STATUS_NAMES, MatterView, StageView, fold_matter

__all__ = [
    "BASIS_NAMES",
    "BODY_NAMES",
    "CEREMONY_COUNCIL",
    "CEREMONY_KINDS",
    "COMPLETED",
    "COUNCILS",
    "COUNCIL_STAGES",
    "DEFAULT_RULES",
    "MAJOR_STAGES",
    "MAX_ATTACHMENT_BYTES",
    "MEETING_FORMS",
    "MEMBER_FIELDS",
    "PUBLIC_FIELDS",
    "ROSTER_BODIES",
    "SHANGHAI",
    "STAGE_NAMES",
    "STAGE_STATUS_NAMES",
    "STATUSES",
    "STATUS_NAMES",
    "AttachmentRef",
    "AttachmentTooLarge",
    "Attendance",
    "Body",
    "BodyKind",
    "BodyRule",
    "Ceremony",
    "CeremonyLimits",
    "Chain",
    "CheckedAttachment",
    "CorrectionInvalid",
    "DocType",
    "DomainError",
    "DuplicateName",
    "EditConflict",
    "Ineligible",
    "Invalid",
    "InvalidAttachment",
    "Matter",
    "MatterKind",
    "MatterView",
    "MeetingOutcome",
    "Member",
    "MemberChange",
    "NotFound",
    "NotQuorate",
    "Problems",
    "Publication",
    "RecordUnreadable",
    "RetriesExhausted",
    "RuleBook",
    "StageOrder",
    "StageRecord",
    "StageSpec",
    "StageView",
    "StatusTransition",
    "SupervisionEntry",
    "SupervisionThread",
    "Threshold",
    "ValidationError",
    "Village",
    "Vote",
    "VoteArithmetic",
    "VoteRejected",
    "active_members",
    "allowed_matter_bodies",
    "body_name",
    "check_ceremony",
    "check_duplicate_name",
    "check_public",
    "check_stage_allowed",
    "check_supervision_eligibility",
    "correct_stage_record",
    "done_stages",
    "effective",
    "evaluate_meeting",
    "fold_corrections",
    "fold_matter",
    "fold_supervision",
    "is_shown",
    "iso_local",
    "kiosk_selector",
    "limits_from_data",
    "member_changes",
    "named_body",
    "next_stage",
    "parse_local",
    "parse_stamp",
    "quorum_needed",
    "record_stage",
    "record_supervision",
    "register_ceremony",
    "require_success",
    "rule_for",
    "rules_with_overrides",
    "sniff_content_type",
    "stage_spec",
    "stages_for",
    "to_shanghai",
    "twin_id",
    "utc_stamp",
    "validate_attachment",
    "validate_attendance",
    "validate_matter",
    "validate_member",
    "validate_village",
    "validate_vote",
]
