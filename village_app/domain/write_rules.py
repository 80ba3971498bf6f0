"""Who may write what into a village's database: the one statement of the rules.

The county's CouchDB enforces them with a ``validate_doc_update`` function
(``village_app/county/validate_doc_update.js``) that reads :data:`RULES` as JSON, so CouchDB
refuses what breaks them whoever sends it; :func:`check_write` is the same logic in Python,
used by the laptop before it writes, so a secretary is refused at once, in Chinese, what the
county would refuse at the next sync. A test runs both on the same cases and compares.

A refusal's ``code`` is stable (the sync page explains it); CouchDB's reason is
``"<code>: <English>"``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from village_app.domain.errors import DomainError
from village_app.domain.publicity import PUBLIC_TYPES, DocType
from village_app.domain.services.vocab import ServiceDoc
from village_app.domain.worthies import CONTRIBUTION
from village_app.i18n import N_

#: The rules as data: JSON-able, embedded in the design document as is.
RULES: Final[Mapping[str, Any]] = {
    # What a village's secretary writes.
    "village_types": [
        DocType.VILLAGE,
        DocType.BODY,
        DocType.MEMBER,
        DocType.MEMBER_PRIVATE,
        DocType.MATTER,
        DocType.STAGE_RECORD,
        DocType.SUPERVISION,
        DocType.VILLAGE_RULE,
        DocType.CEREMONY,
        # The service lists (issue 13): what the village finds and does. A need's person is
        # sealed before it is written (repo.sealing): the county holds the rest, never a name.
        ServiceDoc.NEED,
        ServiceDoc.SERVICE_LOG,
        ServiceDoc.POST,
        ServiceDoc.CLAIM,
        ServiceDoc.DUTY_LOG,
        # Ratings collected on paper or in a meeting, typed by the secretary; and the kiosk's,
        # which the county merges from the kiosk's inbox as an administrator
        # (village_app/county/inboxes.py: the inbox has rules of its own).
        ServiceDoc.RATING,
        # The worthies' association's advice and donations (issue 9 point 10).
        CONTRIBUTION,
        *(DocType(t) for t in PUBLIC_TYPES),
    ],
    # Public twins (see publicity): projections the laptop makes of its records, with no
    # author of their own (a repair after a pull writes them too).
    "twin_types": list(PUBLIC_TYPES),
    # What county and township staff write: nothing else.
    # Of the service lists (issue 13), the county writes into a village's database the copy
    # of each resource-list entry that covers the village, the service projects it matches
    # from the village's needs, and its pairings (结对共建). Organisations and the master
    # resource list stay in the county's own services database (county.services_db).
    "county_types": [
        DocType.REVIEW,
        ServiceDoc.RESOURCE,
        ServiceDoc.PROJECT,
        ServiceDoc.PAIRING,
    ],
    # Never changed or deleted once written; a mistake is corrected by a new document.
    "evidence_types": [
        DocType.STAGE_RECORD,
        DocType.SUPERVISION,
        DocType.CEREMONY,
        DocType.REVIEW,
        # What was done and how it was rated: corrected by a new entry, never edited.
        ServiceDoc.SERVICE_LOG,
        ServiceDoc.DUTY_LOG,
        ServiceDoc.RATING,
        CONTRIBUTION,
    ],
    # On evidence, only these may change: who may read the record (copied from its matter),
    # not what happened. Attachments may be added (a scan arriving later), never replaced.
    "derived_fields": ["sensitive", "commendation"],
    # Kept from the first version on every edit.
    "identity_fields": ["type", "village", "created_at", "created_by"],
    # Roles that write anything any rule allows (county staff importing a USB bundle).
    "admin_roles": ["_admin", "county_admin"],
    "county_reviewer_role": "county_reviewer",
}

#: code -> (English reason for CouchDB and logs, Chinese msgid for the secretary).
REASONS: Final[Mapping[str, tuple[str, str]]] = {
    "not_a_document": ("the document is not a JSON object", N_("记录格式不对")),
    "village_scope": (
        "this database holds one village's records only",
        N_("记录所属的村与本村不符"),
    ),
    "unknown_type": ("the county does not accept this type of record", N_("县里不接受这类记录")),
    "village_writes_only": (
        "only the village's own accounts write this type",
        N_("只有本村的账号可以写入这类记录"),
    ),
    "county_writes_only": (
        "only county and township reviewers write reviews",
        N_("只有县、乡镇审核人员可以写入审核意见"),
    ),
    "author": (
        "created_by must be the account that writes the record",
        N_("记录的填写人必须是当前账号"),
    ),
    "identity": (
        "type, village, created_at and created_by never change",
        N_("记录的类型、所属村、填写时间和填写人不能修改"),
    ),
    "evidence_changed": (
        "evidence is never changed: write a correction instead",
        N_("已保存的会议、表决、公开和监督记录不能修改，请使用更正"),
    ),
    "evidence_deleted": (
        "evidence is never deleted: write a correction instead",
        N_("已保存的会议、表决、公开和监督记录不能删除，请使用更正"),
    ),
    "design_documents": ("only administrators change design documents", N_("无权修改系统设置")),
}


@dataclass(frozen=True)
class Writer:
    """Who writes: CouchDB's ``userCtx`` (name and roles)."""

    name: str | None
    roles: Sequence[str] = ()

    @classmethod
    def secretary(cls, name: str, village: str) -> Writer:
        return cls(name, (f"village_{village}",))


@dataclass(frozen=True)
class Refusal:
    code: str
    docid: str

    @property
    def reason(self) -> str:
        return f"{self.code}: {REASONS[self.code][0]}"

    @property
    def msgid(self) -> str:
        return REASONS[self.code][1]


class WriteRefused(DomainError):
    """A write the county would refuse, refused on the laptop before it is stored."""

    code = "write_refused"
    status = 403

    @classmethod
    def of(cls, refusal: Refusal) -> WriteRefused:
        return cls(refusal.msgid, ids=[refusal.docid] if refusal.docid else [])


def check_write(
    new: Any,
    old: Mapping[str, Any] | None,
    writer: Writer,
    village: str,
    township: str | None = None,
) -> Refusal | None:
    """``None`` when ``writer`` may store ``new`` over ``old`` (the current revision, or
    ``None``) in ``village``'s database; else why not. ``township``: the 9-digit code of the
    township the registry puts the village in (its reviewers write reviews), by default the
    one its code starts with. Mirrors validate_doc_update.js."""
    township = township or village[:9]
    if not isinstance(new, Mapping):
        return Refusal("not_a_document", "")
    docid = str(new.get("_id", ""))
    is_admin = any(r in RULES["admin_roles"] for r in writer.roles)
    if docid.startswith("_design/"):
        return None if is_admin else Refusal("design_documents", docid)
    if new.get("_deleted") is True:
        if old is None:
            return None  # a tombstone of something the county never had: nothing to protect
        if old.get("type") in RULES["evidence_types"]:
            return Refusal("evidence_deleted", docid)
        return _may_write_type(old, writer, village, township, docid, is_admin)
    refused = _may_write_type(new, writer, village, township, docid, is_admin)
    if refused is not None:
        return refused
    if old is None or old.get("_deleted") is True:
        authored = new.get("type") not in RULES["twin_types"]
        if (
            authored
            and not is_admin
            and (writer.name is None or new.get("created_by") != writer.name)
        ):
            return Refusal("author", docid)
        return None
    if any(_canonical(new.get(k)) != _canonical(old.get(k)) for k in RULES["identity_fields"]):
        return Refusal("identity", docid)
    if new.get("type") in RULES["evidence_types"] and not _same_evidence(new, old):
        return Refusal("evidence_changed", docid)
    return None


def _may_write_type(
    doc: Mapping[str, Any], writer: Writer, village: str, township: str, docid: str, is_admin: bool
) -> Refusal | None:
    if doc.get("village") != village:
        return Refusal("village_scope", docid)
    doc_type = doc.get("type")
    if doc_type in RULES["village_types"]:
        if not is_admin and f"village_{village}" not in writer.roles:
            return Refusal("village_writes_only", docid)
        return None
    if doc_type in RULES["county_types"]:
        reviewers = (RULES["county_reviewer_role"], f"township_{township}")
        if not is_admin and not any(r in reviewers for r in writer.roles):
            return Refusal("county_writes_only", docid)
        return None
    return Refusal("unknown_type", docid)


def _same_evidence(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    def content(doc: Mapping[str, Any]) -> str:
        return _canonical(
            {
                k: v
                for k, v in doc.items()
                if not k.startswith("_") and k not in RULES["derived_fields"]
            }
        )

    if content(new) != content(old):
        return False
    old_files = old.get("_attachments") or {}
    new_files = new.get("_attachments") or {}
    if not isinstance(old_files, Mapping) or not isinstance(new_files, Mapping):
        return _canonical(old_files) == _canonical(new_files)
    for name, stub in old_files.items():
        kept = new_files.get(name)
        if not isinstance(kept, Mapping) or not isinstance(stub, Mapping):
            return False
        if stub.get("digest") and kept.get("digest") != stub.get("digest"):
            return False
    return True


def rules_json() -> str:
    """The rules as the design document embeds them, with each refusal's English reason."""
    reasons = {code: english for code, (english, _) in REASONS.items()}
    return json.dumps({**RULES, "reasons": reasons}, ensure_ascii=False, sort_keys=True)


def _canonical(value: Any) -> str:
    """JSON with sorted keys: equal documents, equal strings (the JS does the same)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
