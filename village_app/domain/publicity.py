"""What may leave the village for the kiosk (DOMAIN.md, "What is public"), as an allow-list.

Public: published resolutions and implementation results, council rosters (names and roles),
the village rules (村规民约) and the weddings-and-funerals standard, and the village's own name;
of the service lists (issue 13), projects, posts and who holds them, and services delivered
(the day, what, how many people), never a need.
Never: votes of named people, moral-review records about named people unless published as a
commendation, phone or ID numbers, draft matters.

Nothing the secretary records is ever sent to the kiosk as it is. For each record that can be
public the laptop writes a **public twin** (``public_<type>``, id ``public_<source id>``): a
projection holding only the fields :data:`PUBLIC_FIELDS` names for its type, made from the
record (and, for a matter, from its stage records) by the functions below. A twin whose
source is not public (a draft, a moral review that is no commendation, a rule not published)
says only ``withdrawn: true``. The county's public database accepts a document only when
every field is on this list with the kind it names (``validate_public.js`` reads the list as
JSON; :func:`check_public` is the same check in Python, which the kiosk runs on every document
it pulls), and its ``_replicator`` job copies nothing but twins (:func:`kiosk_selector`).

Why twins, and not a filter over the records (issue 8 §2): a filter sees one document at a
time, so it could only trust a copy of the matter's publicity on each record, and copies can
disagree (two laptops, a crash between two writes). A twin is written with the *same
revision ids* as its source (see :mod:`village_app.repo.public`), so CouchDB, the public
database and the kiosk all pick, for the twin, the revision they pick for the source: the twin
that wins is made from the matter revision that wins, and publicity is decided by the matter
itself, never by a copied flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from village_app.domain.dates import iso_local
from village_app.domain.organisation import ROSTER_BODIES, Body, BodyKind, Member, Village
from village_app.domain.timeline import MatterView


class DocType(StrEnum):
    """The ``type`` of every document the app writes."""

    VILLAGE = "village"
    BODY = "body"  # a body's charter and rule (the roster is its members)
    MEMBER = "member"  # a seat: name, role, term
    MEMBER_PRIVATE = "member_private"  # phone, close relatives (never public)
    MATTER = "matter"
    STAGE_RECORD = "stage_record"
    SUPERVISION = "supervision"
    VILLAGE_RULE = "village_rule"  # 村规民约, 红白事标准 (kind says which)
    REVIEW = "review"  # county review (备案 / returned)
    CEREMONY = "ceremony"  # a wedding or funeral the council registered (names a family: private)
    # Public twins: what the kiosk may hold, projected from the records above.
    PUBLIC_VILLAGE = "public_village"
    PUBLIC_BODY = "public_body"
    PUBLIC_MEMBER = "public_member"
    PUBLIC_VILLAGE_RULE = "public_village_rule"
    PUBLIC_MATTER = "public_matter"
    # The service lists' (issue 13; the records' types are ServiceDoc's, spelled out here so
    # that this module needs nothing of the services package): a project, a post, who holds
    # it, a service delivered. Never a need, in any form.
    PUBLIC_SERVICE_PROJECT = "public_service_project"
    PUBLIC_SERVICE_POST = "public_service_post"
    PUBLIC_POST_CLAIM = "public_post_claim"
    PUBLIC_SERVICE_LOG = "public_service_log"


#: Each record type that can be public -> the type of its public twin.
TWIN_TYPES: Final[Mapping[str, str]] = {
    DocType.VILLAGE: DocType.PUBLIC_VILLAGE,
    DocType.BODY: DocType.PUBLIC_BODY,
    DocType.MEMBER: DocType.PUBLIC_MEMBER,
    DocType.VILLAGE_RULE: DocType.PUBLIC_VILLAGE_RULE,
    DocType.MATTER: DocType.PUBLIC_MATTER,
    "service_project": DocType.PUBLIC_SERVICE_PROJECT,
    "service_post": DocType.PUBLIC_SERVICE_POST,
    "post_claim": DocType.PUBLIC_POST_CLAIM,
    "service_log": DocType.PUBLIC_SERVICE_LOG,
}
PUBLIC_TYPES: Final[tuple[str, ...]] = tuple(str(t) for t in TWIN_TYPES.values())
TWIN_PREFIX: Final = "public_"

# The kinds a field may have. Any field may also be null (not known).
TEXT: Final = "text"
INT: Final = "int"
FLAG: Final = "flag"


def _object(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"object": dict(fields)}


def _list_of(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"list": dict(fields)}


_CAPS: Final = {"max_tables": INT, "max_cost_per_table": INT, "max_gift": INT}
#: One stage a public matter went through: when, how it came out, and for the resolution and
#: the publications their text. Counts, never names (attendance names, named votes and the
#: township staff present stay in the village).
_STAGE: Final = {
    "stage": TEXT,
    "date": TEXT,  # ISO, Shanghai time with its offset
    "quorate": FLAG,
    "passed": FLAG,
    "expected": INT,
    "present": INT,
    "in_favour": INT,
    "against": INT,
    "abstain": INT,
    "content": TEXT,  # the resolution's text, a publication's text
    "what": TEXT,  # a publication's title
    "where": TEXT,  # where it was published
}

#: The allow-list: for each public type, every field it may carry and the field's kind. Fields
#: every public document has: :data:`COMMON_FIELDS`. Nothing else passes, at any depth.
PUBLIC_FIELDS: Final[Mapping[str, Mapping[str, Any]]] = {
    DocType.PUBLIC_VILLAGE: {"code": TEXT, "name": TEXT, "township": TEXT, "county": TEXT},
    DocType.PUBLIC_BODY: {"kind": TEXT, "charter": TEXT},
    DocType.PUBLIC_MEMBER: {
        "body": TEXT,
        "name": TEXT,
        "role": TEXT,
        "convenor": FLAG,
        "term_start": TEXT,
        "term_end": TEXT,
    },
    DocType.PUBLIC_VILLAGE_RULE: {
        "kind": TEXT,
        "title": TEXT,
        "text": TEXT,
        "limits": _object({"wedding": _object(_CAPS), "funeral": _object(_CAPS)}),
    },
    DocType.PUBLIC_MATTER: {
        "kind": TEXT,
        "body": TEXT,
        "year": INT,
        "title": TEXT,
        "summary": TEXT,
        "category": TEXT,
        "commendation": FLAG,
        "published_on": TEXT,  # the day the resolution was published (ISO date)
        "stages": _list_of(_STAGE),
        # The laptop's signature over the rest (see signing): hash, key fingerprint, when.
        "signature": _object({"hash": TEXT, "key": TEXT, "signed_at": TEXT, "value": TEXT}),
    },
    # The service lists (see village_app.domain.services.public for each projection). Dates
    # are ISO days. A project: what, which organisation, its kind and schedule (never the
    # needs it serves: they point at people).
    DocType.PUBLIC_SERVICE_PROJECT: {
        "title": TEXT,
        "organisation": TEXT,
        "sector": TEXT,
        "kind": TEXT,
        "schedule": TEXT,
        "starts_on": TEXT,
        "ends_on": TEXT,
        "active": FLAG,
    },
    # A public-service post (公益岗位) the village wrote (the six named ones need no record).
    DocType.PUBLIC_SERVICE_POST: {"name": TEXT, "duties": TEXT, "key": TEXT},
    # Who holds a post: names of post holders are public, as a roster's are.
    DocType.PUBLIC_POST_CLAIM: {
        "post_id": TEXT,
        "holder": TEXT,
        "holder_kind": TEXT,
        "since": TEXT,
        "ended_on": TEXT,
    },
    # A service delivered: the day, what, how many people (never who, nor where: a place
    # can be a household), the project (null: a pairing's activity) and the entry it
    # corrects, so that the kiosk counts what stands.
    DocType.PUBLIC_SERVICE_LOG: {
        "project_id": TEXT,
        "served_on": TEXT,
        "what": TEXT,
        "people_served": INT,
        "corrects": TEXT,
    },
}
#: On every public document: its type and village, and whether it was withdrawn (a withdrawn
#: twin carries nothing else).
COMMON_FIELDS: Final[Mapping[str, str]] = {"type": TEXT, "village": TEXT, "withdrawn": FLAG}
#: CouchDB's own fields a document may arrive with (attachments are not among them).
META_FIELDS: Final[tuple[str, ...]] = ("_id", "_rev", "_revisions", "_deleted")


@dataclass(frozen=True)
class PublicRefusal:
    """Why a document may not be public: a stable code and the field it is about."""

    code: str  # design | type | village | id | field | kind | withdrawn | not_a_document
    field: str = ""

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.field}" if self.field else self.code


def schema_json() -> dict[str, Any]:
    """The allow-list as ``validate_public.js`` embeds it."""
    return {
        "types": {str(k): dict(v) for k, v in PUBLIC_FIELDS.items()},
        "common": dict(COMMON_FIELDS),
        "meta": list(META_FIELDS),
    }


def check_public(doc: Any, village: str) -> PublicRefusal | None:
    """``None`` when ``doc`` may sit in ``village``'s public database; else why not.
    Mirrors validate_public.js (a test runs both on the same documents)."""
    if not isinstance(doc, Mapping):
        return PublicRefusal("not_a_document")
    docid = doc.get("_id")
    if not isinstance(docid, str) or docid.startswith(("_design/", "_local/")):
        return PublicRefusal("design")
    doc_type = doc.get("type")
    if not isinstance(doc_type, str) or doc_type not in PUBLIC_FIELDS:
        return PublicRefusal("type")
    if doc.get("village") != village:
        return PublicRefusal("village")
    if not docid.startswith(f"{doc_type}:{village}:"):
        return PublicRefusal("id")
    fields = PUBLIC_FIELDS[doc_type]
    bare = doc.get("_deleted") is True or doc.get("withdrawn") is True
    for key, value in doc.items():
        if key in META_FIELDS:
            continue
        if key in COMMON_FIELDS:
            if not _kind_ok(COMMON_FIELDS[key], value):
                return PublicRefusal("kind", key)
        elif bare:
            return PublicRefusal("withdrawn", key)
        elif key not in fields:
            return PublicRefusal("field", key)
        else:
            refusal = _value_ok(fields[key], value, key)
            if refusal is not None:
                return refusal
    return None


def _kind_ok(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == TEXT:
        return isinstance(value, str)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == FLAG:
        return isinstance(value, bool)
    return False


def _value_ok(kind: Any, value: Any, path: str) -> PublicRefusal | None:
    if isinstance(kind, str):
        return None if _kind_ok(kind, value) else PublicRefusal("kind", path)
    if value is None:
        return None
    if "object" in kind:
        return _fields_ok(kind["object"], value, path)
    items = kind["list"]
    if not isinstance(value, list):
        return PublicRefusal("kind", path)
    for i, item in enumerate(value):
        refusal = _fields_ok(items, item, f"{path}.{i}")
        if refusal is not None:
            return refusal
    return None


def _fields_ok(fields: Mapping[str, Any], value: Any, path: str) -> PublicRefusal | None:
    if not isinstance(value, Mapping):
        return PublicRefusal("kind", path)
    for key, item in value.items():
        if key not in fields:
            return PublicRefusal("field", f"{path}.{key}")
        refusal = _value_ok(fields[key], item, f"{path}.{key}")
        if refusal is not None:
            return refusal
    return None


def twin_id(source_id: str) -> str:
    """``matter:<village>:<ulid>`` -> ``public_matter:<village>:<ulid>``."""
    return TWIN_PREFIX + source_id


def source_id(public_id: str) -> str:
    return public_id.removeprefix(TWIN_PREFIX)


def is_shown(doc: Mapping[str, Any], village: str) -> bool:
    """Whether the kiosk shows this document: a public twin on the allow-list, neither
    withdrawn nor deleted."""
    return (
        check_public(doc, village) is None
        and doc.get("withdrawn") is not True
        and doc.get("_deleted") is not True
    )


def kiosk_selector() -> dict[str, Any]:
    """What the county's ``_replicator`` job copies from a village's database to its public
    one: public twins, withdrawn ones and tombstones included (so that a withdrawal reaches
    the kiosk), and nothing else. Not a design document: their ids start with ``_``."""
    return {"type": {"$in": list(PUBLIC_TYPES)}, "_id": {"$regex": "^public_[a-z_]+:"}}


# -- the projections: what of each record is public -----------------------------------------
def public_village(village: Village) -> dict[str, Any]:
    return {
        "code": village.code,
        "name": village.name,
        "township": village.township,
        "county": village.county,
    }


def public_body(body: Body) -> dict[str, Any]:
    return {"kind": body.kind, "charter": body.charter}


#: The rosters villagers see: the committees, the councils, the representatives and the
#: supervision committee. Who is a party member is not posted in the hall.
PUBLIC_ROSTERS: Final = frozenset(b for b in ROSTER_BODIES if b != BodyKind.PARTY_BRANCH)


def public_member(member: Member) -> dict[str, Any] | None:
    """A seat as the roster shows it: name and role (and the term); phone numbers and close
    relatives live in another document and never come here. ``None`` for a body whose roster
    is not public."""
    if member.body not in PUBLIC_ROSTERS:
        return None
    return {
        "body": member.body,
        "name": member.name,
        "role": member.role,
        "convenor": member.convenor,
        "term_start": member.term_start.isoformat() if member.term_start else None,
        "term_end": member.term_end.isoformat() if member.term_end else None,
    }


def public_village_rule(rule: Mapping[str, Any]) -> dict[str, Any] | None:
    """A village rule text (as the store reads it), or ``None`` while it is not published."""
    if rule.get("published") is not True:
        return None
    out: dict[str, Any] = {
        "kind": rule.get("kind"),
        "title": rule.get("title"),
        "text": rule.get("text"),
    }
    limits = rule.get("limits")
    if isinstance(limits, Mapping) and limits:
        out["limits"] = {
            kind: {k: v for k, v in caps.items() if k in _CAPS}
            for kind, caps in limits.items()
            if kind in ("wedding", "funeral") and isinstance(caps, Mapping)
        }
    return out


#: Stages whose text is public (the resolution and the publications); the other meetings
#: show their date and outcome only.
TEXT_STAGES: Final = frozenset(
    {
        "resolution",
        "resolution_publication",
        "result_publication",
        "council_resolution",
        "council_publication",
    }
)
#: The stage whose record publishes a matter's resolution.
RESOLUTION_PUBLICATIONS: Final = frozenset({"resolution_publication", "council_publication"})


def matter_is_public(view: MatterView) -> bool:
    """A matter is public once its resolution was published, unless it names people (a moral
    review that is not a commendation)."""
    matter = view.matter
    if matter.sensitive and not matter.commendation:
        return False
    return any(s.done and s.spec.key in RESOLUTION_PUBLICATIONS for s in view.stages)


def public_matter(view: MatterView) -> dict[str, Any] | None:
    """What the kiosk shows of a matter (and the laptop signs, see :mod:`signing`), or ``None``
    while it is not public."""
    if not matter_is_public(view):
        return None
    matter = view.matter
    stages: list[dict[str, Any]] = []
    published_on = None
    for stage in view.stages:
        record = stage.record
        if record is None:
            continue
        entry: dict[str, Any] = {"stage": stage.spec.key}
        when = record.when
        entry["date"] = iso_local(when) if when else None
        if record.outcome is not None:
            entry["quorate"] = record.outcome.quorate
            entry["passed"] = record.outcome.passed
        if record.attendance is not None:
            entry["expected"] = record.attendance.expected
            entry["present"] = record.attendance.present
        if record.vote is not None:
            entry["in_favour"] = record.vote.in_favour
            entry["against"] = record.vote.against
            entry["abstain"] = record.vote.abstain
        if stage.spec.key in TEXT_STAGES:
            entry["content"] = record.content
        if record.publication is not None:
            entry["what"] = record.publication.what
            entry["where"] = record.publication.where
            if stage.spec.key in RESOLUTION_PUBLICATIONS and when is not None:
                published_on = iso_local(when)[:10]
        stages.append(entry)
    return {
        "kind": matter.kind,
        "body": matter.body,
        "year": matter.year,
        "title": matter.title,
        "summary": matter.summary,
        "category": matter.category,
        "commendation": matter.commendation,
        "published_on": published_on,
        "stages": stages,
    }


def withdrawn_twin(twin_type: str, village: str, docid: str) -> dict[str, Any]:
    return {"_id": docid, "type": twin_type, "village": village, "withdrawn": True}


def twin_doc(
    twin_type: str, village: str, docid: str, content: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The twin's body: the content, or withdrawn when there is none."""
    if content is None:
        return withdrawn_twin(twin_type, village, docid)
    return {"_id": docid, "type": twin_type, "village": village, **content}


def same_content(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal bodies, CouchDB's own fields and the signature aside (a signature is made once
    per revision; the content it covers is what must agree)."""

    def bare(doc: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_") and k != "signature"}

    return bare(a) == bare(b)


def leaves_public(views: Sequence[MatterView]) -> bool:
    """Whether every (non-deleted) version of a matter in conflict says it is public: while
    two versions disagree about publicity, the matter is withdrawn until the secretary chooses
    (fail closed)."""
    return all(matter_is_public(v) for v in views)
