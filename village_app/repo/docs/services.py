"""The service lists as documents (issue 13). Shapes:

* ``service_org:<county>:<ULID>`` (the county's services database only; ``village`` is the
  county's 6-digit code there): name, kind, sector, contact, phone, note.
* ``service_resource:<village or county>:<ULID>``: ``organisation`` ({id, name, sector,
  kind}), title, kind, categories, groups, place, frequency, capacity, townships,
  description, active; the master also ``history`` (its edits: at, by, changes). The master
  (in the county's services database) and each village's copy share the ULID.
* ``service_project:<village>:<ULID>``: title, resource_id, organisation, kind, categories,
  need_ids, schedule, starts_on, ends_on, status, note, and once ended ``ended_reason``.
* ``service_pairing:<village>:<ULID>``: organisation, since, schedule, content, ended_on,
  and once ended ``ended_reason``.
* ``service_need:<village>:<ULID>``: group, categories, kind, summary, people, visited_on,
  visited_by, proposed_resource, closed, closed_reason, and ``sealed``: the person (name,
  address, phone, notes) encrypted (:mod:`village_app.repo.sealing`), never in clear.
* ``service_log``, ``duty_log`` (evidence): what was done, on which day, for how many, by
  whom, hours; ``corrects`` + ``reason`` for a correction.
* ``service_post:<village>:<key or ULID>``, ``post_claim:<village>:<ULID>``.
* ``service_rating:<village>:<ULID>`` (evidence): project_id, scores {心: 1..5},
  collected_on, source, device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from village_app.domain.services import (
    PERSON_BROKEN,
    PERSON_CLEAR,
    PERSON_SEALED,
    Claim,
    DutyLog,
    Need,
    NeedPerson,
    Organisation,
    OrgRef,
    Pairing,
    Post,
    Project,
    Rating,
    Resource,
    ResourceChange,
    ServiceDoc,
    ServiceLog,
)
from village_app.domain.services.vocab import HEARTS
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc, read_history, store_date
from village_app.repo.docs._fields import Fields
from village_app.repo.sealing import SealBroken, SealKey, check_sealed_shape

#: The fields of a need that are sealed.
PERSON_FIELDS: Final = ("name", "address", "phone", "notes")


def _new(doc_type: str, village: str, actor: Actor, docid: str | None) -> Doc:
    return base_doc(doc_type, village, docid or actor.new_id(doc_type, village), actor)


class _Editable(Protocol):
    @property
    def rev(self) -> str | None: ...
    @property
    def created_at(self) -> str: ...
    @property
    def created_by(self) -> str: ...


def _edited(doc: Doc, record: _Editable, actor: Actor) -> Doc:
    """An edit keeps the first version's author and time, and says who changed it when."""
    if record.rev:
        doc["_rev"] = record.rev
        if record.created_at:
            doc["created_at"], doc["created_by"] = record.created_at, record.created_by
        doc["updated_at"] = actor.stamp()
        doc["updated_by"] = actor.user
    return doc


def _number(f: Fields, key: str, maximum: float = 100_000.0) -> float:
    value = f.doc.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= maximum:
        raise f.fail(key, f"a number from 0 to {maximum:g}")
    return float(value)


def _keys(f: Fields, key: str, known: Mapping[str, str] | None = None) -> tuple[str, ...]:
    values = f.texts(key)
    if known is not None and any(v not in known for v in values):
        raise f.fail(key, "known keys")
    return values


def _org_ref(ref: OrgRef) -> dict[str, str]:
    return {"id": ref.id, "name": ref.name, "sector": ref.sector, "kind": ref.kind}


def _org_ref_of(f: Fields) -> OrgRef:
    nested = f.nested("organisation")
    if nested is None:
        raise f.fail("organisation", "the organisation ({id, name, sector, kind})")
    org_id = nested.reference("id")
    if not org_id:
        raise nested.fail("id", "the organisation's id")
    return OrgRef(org_id, nested.text("name", None), nested.text("sector"), nested.text("kind"))


def _common(f: Fields) -> dict[str, Any]:
    return {
        "id": str(f.doc["_id"]),
        "created_at": str(f.doc["created_at"]),
        "created_by": f.text("created_by"),
    }


# -- the county's ------------------------------------------------------------------------
def org_to_doc(county: str, org: Organisation, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = _new(ServiceDoc.ORGANISATION, county, actor, docid or org.id or None)
    doc.update(
        name=org.name,
        kind=org.kind,
        sector=org.sector,
        contact=org.contact,
        phone=org.phone,
        note=org.note,
    )
    return _edited(doc, org, actor)


def org_from_doc(doc: Mapping[str, Any]) -> Organisation:
    f = Fields.of(doc, ServiceDoc.ORGANISATION)
    return Organisation(
        name=f.text("name", None),
        kind=f.text("kind", None),
        sector=f.text("sector", None),
        contact=f.text("contact"),
        phone=f.text("phone"),
        note=f.text("note"),
        rev=doc.get("_rev"),
        **_common(f),
    )


def resource_to_doc(
    village: str, resource: Resource, actor: Actor, *, docid: str | None = None
) -> Doc:
    """``village``: the village whose copy this is (or the county, for the master)."""
    doc = _new(ServiceDoc.RESOURCE, village, actor, docid or resource.id or None)
    doc.update(
        organisation=_org_ref(resource.organisation),
        title=resource.title,
        kind=resource.kind,
        categories=list(resource.categories),
        groups=list(resource.groups),
        place=resource.place,
        frequency=resource.frequency,
        capacity=resource.capacity,
        townships=list(resource.townships),
        description=resource.description,
        active=resource.active,
    )
    if resource.history:
        doc["history"] = [
            {"at": c.at, "by": c.by, "changes": [list(change) for change in c.changes]}
            for c in resource.history
        ]
    return _edited(doc, resource, actor)


def _resource_history(raw: object) -> tuple[ResourceChange, ...]:
    """An entry's edits (see :func:`read_history`)."""
    return read_history(raw, ResourceChange)


def resource_from_doc(doc: Mapping[str, Any]) -> Resource:
    f = Fields.of(doc, ServiceDoc.RESOURCE)
    return Resource(
        organisation=_org_ref_of(f),
        title=f.text("title", None),
        kind=f.text("kind", None),
        categories=_keys(f, "categories"),
        groups=_keys(f, "groups"),
        place=f.text("place"),
        frequency=f.text("frequency"),
        capacity=f.integer("capacity", 0),
        townships=_keys(f, "townships"),
        description=f.text("description"),
        active=f.flag("active", True),
        rev=doc.get("_rev"),
        history=_resource_history(doc.get("history")),
        **_common(f),
    )


def project_to_doc(
    village: str, project: Project, actor: Actor, *, docid: str | None = None
) -> Doc:
    doc = _new(ServiceDoc.PROJECT, village, actor, docid or project.id or None)
    doc.update(
        title=project.title,
        resource_id=project.resource_id,
        organisation=_org_ref(project.organisation),
        kind=project.kind,
        categories=list(project.categories),
        need_ids=list(project.need_ids),
        schedule=project.schedule,
        starts_on=store_date(project.starts_on),
        ends_on=store_date(project.ends_on),
        status=project.status,
        note=project.note,
    )
    if project.ended_reason:
        doc["ended_reason"] = project.ended_reason
    return _edited(doc, project, actor)


def project_from_doc(doc: Mapping[str, Any]) -> Project:
    f = Fields.of(doc, ServiceDoc.PROJECT)
    need_ids = f.texts("need_ids")
    if any(not i.startswith(f"{ServiceDoc.NEED}:") for i in need_ids):
        raise f.fail("need_ids", "needs' ids")
    status = f.text("status", "active")
    if status not in ("active", "ended"):
        raise f.fail("status", "active or ended")
    return Project(
        title=f.text("title", None),
        resource_id=f.reference("resource_id") or "",
        organisation=_org_ref_of(f),
        kind=f.text("kind"),
        starts_on=f.required_day("starts_on"),
        need_ids=need_ids,
        categories=_keys(f, "categories"),
        schedule=f.text("schedule"),
        ends_on=f.day("ends_on"),
        status=status,
        note=f.text("note"),
        ended_reason=f.text("ended_reason"),
        rev=doc.get("_rev"),
        **_common(f),
    )


def pairing_to_doc(
    village: str, pairing: Pairing, actor: Actor, *, docid: str | None = None
) -> Doc:
    doc = _new(ServiceDoc.PAIRING, village, actor, docid or pairing.id or None)
    doc.update(
        organisation=_org_ref(pairing.organisation),
        since=store_date(pairing.since),
        schedule=pairing.schedule,
        content=pairing.content,
        ended_on=store_date(pairing.ended_on),
    )
    if pairing.ended_reason:
        doc["ended_reason"] = pairing.ended_reason
    return _edited(doc, pairing, actor)


def pairing_from_doc(doc: Mapping[str, Any]) -> Pairing:
    f = Fields.of(doc, ServiceDoc.PAIRING)
    return Pairing(
        organisation=_org_ref_of(f),
        since=f.required_day("since"),
        schedule=f.text("schedule"),
        content=f.text("content"),
        ended_on=f.day("ended_on"),
        ended_reason=f.text("ended_reason"),
        rev=doc.get("_rev"),
        **_common(f),
    )


# -- the village's ------------------------------------------------------------------------
def need_to_doc(
    village: str, need: Need, actor: Actor, key: SealKey | None, *, docid: str | None = None
) -> Doc:
    """The need as stored: the person sealed with ``key`` (a need with a person and no key is
    a programming error: it would be written in clear). A need without ``person`` leaves the
    stored sealed part as it was (an edit of the other fields)."""
    doc = _new(ServiceDoc.NEED, village, actor, docid or need.id or None)
    doc.update(
        group=need.group,
        categories=list(need.categories),
        kind=need.kind,
        summary=need.summary,
        people=need.people,
        visited_on=store_date(need.visited_on),
        visited_by=need.visited_by,
        proposed_resource=need.proposed_resource,
        closed=need.closed,
        closed_reason=need.closed_reason,
    )
    if need.person is not None:
        if key is None:
            raise RuntimeError("a need's person is never written without its key")
        person = {k: getattr(need.person, k) for k in PERSON_FIELDS}
        doc["sealed"] = key.seal(person, bound_to=str(doc["_id"]))
    return _edited(doc, need, actor)


def need_from_doc(doc: Mapping[str, Any], key: SealKey | None = None) -> Need:
    """The need; its person opened with ``key`` when given (else, or when it cannot be
    opened, ``person`` is ``None`` and ``person_status`` says why)."""
    f = Fields.of(doc, ServiceDoc.NEED)
    sealed = doc.get("sealed")
    if sealed is not None and not check_sealed_shape(sealed):
        raise f.fail("sealed", "a sealed part (alg, kid, iv, ct)")
    person, status = None, PERSON_SEALED if sealed is not None else PERSON_CLEAR
    if sealed is not None and key is not None:
        try:
            plain = key.open(sealed, bound_to=str(doc["_id"]))
            person = NeedPerson(**{k: str(plain.get(k) or "") for k in PERSON_FIELDS})
            status = PERSON_CLEAR
        except SealBroken:
            status = PERSON_BROKEN
    return Need(
        group=f.text("group", None),
        summary=f.text("summary", None),
        visited_on=f.required_day("visited_on"),
        categories=_keys(f, "categories"),
        kind=f.text("kind"),
        people=f.integer("people", 1),
        visited_by=f.text("visited_by"),
        person=person,
        person_status=status,
        proposed_resource=f.reference("proposed_resource"),
        closed=f.flag("closed"),
        closed_reason=f.text("closed_reason"),
        rev=doc.get("_rev"),
        **_common(f),
    )


def service_log_to_doc(
    village: str, log: ServiceLog, actor: Actor, *, docid: str | None = None
) -> Doc:
    doc = _new(ServiceDoc.SERVICE_LOG, village, actor, docid)
    doc.update(
        project_id=log.project_id,
        pairing_id=log.pairing_id,
        served_on=store_date(log.served_on),
        what=log.what,
        place=log.place,
        people_served=log.people_served,
        volunteers=log.volunteers,
        volunteer_hours=log.volunteer_hours,
        corrects=log.corrects,
        reason=log.reason,
    )
    return doc


def service_log_from_doc(doc: Mapping[str, Any]) -> ServiceLog:
    f = Fields.of(doc, ServiceDoc.SERVICE_LOG)
    project_id, pairing_id = f.reference("project_id"), f.reference("pairing_id")
    if not project_id and not pairing_id:
        raise f.fail("project_id", "the project (or pairing_id) served")
    return ServiceLog(
        served_on=f.required_day("served_on"),
        what=f.text("what", None),
        people_served=f.integer("people_served"),
        volunteers=f.integer("volunteers", 0),
        volunteer_hours=_number(f, "volunteer_hours"),
        project_id=project_id,
        pairing_id=pairing_id,
        place=f.text("place"),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
        **_common(f),
    )


def post_to_doc(village: str, post: Post, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = _new(ServiceDoc.POST, village, actor, docid or post.id or None)
    doc.update(name=post.name, duties=post.duties, key=post.key, retired=post.retired)
    return _edited(doc, post, actor)


def post_from_doc(doc: Mapping[str, Any]) -> Post:
    f = Fields.of(doc, ServiceDoc.POST)
    return Post(
        name=f.text("name", None),
        duties=f.text("duties"),
        key=f.text("key"),
        retired=f.flag("retired"),
        rev=doc.get("_rev"),
        **_common(f),
    )


def claim_to_doc(village: str, claim: Claim, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = _new(ServiceDoc.CLAIM, village, actor, docid or claim.id or None)
    doc.update(
        post_id=claim.post_id,
        holder=claim.holder,
        holder_kind=claim.holder_kind,
        since=store_date(claim.since),
        ended_on=store_date(claim.ended_on),
    )
    return _edited(doc, claim, actor)


def claim_from_doc(doc: Mapping[str, Any]) -> Claim:
    f = Fields.of(doc, ServiceDoc.CLAIM)
    return Claim(
        post_id=f.reference("post_id") or "",
        holder=f.text("holder", None),
        holder_kind=f.text("holder_kind"),
        since=f.required_day("since"),
        ended_on=f.day("ended_on"),
        rev=doc.get("_rev"),
        **_common(f),
    )


def duty_log_to_doc(village: str, log: DutyLog, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = _new(ServiceDoc.DUTY_LOG, village, actor, docid)
    doc.update(
        post_id=log.post_id,
        holder=log.holder,
        done_on=store_date(log.done_on),
        what=log.what,
        hours=log.hours,
        corrects=log.corrects,
        reason=log.reason,
    )
    return doc


def duty_log_from_doc(doc: Mapping[str, Any]) -> DutyLog:
    f = Fields.of(doc, ServiceDoc.DUTY_LOG)
    post_id = f.reference("post_id")
    if not post_id:
        raise f.fail("post_id", "the post's id")
    return DutyLog(
        post_id=post_id,
        holder=f.text("holder", None),
        done_on=f.required_day("done_on"),
        what=f.text("what", None),
        hours=_number(f, "hours"),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
        **_common(f),
    )


def rating_to_doc(village: str, rating: Rating, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = _new(ServiceDoc.RATING, village, actor, docid)
    doc.update(
        project_id=rating.project_id,
        scores=dict(rating.scores),
        collected_on=store_date(rating.collected_on),
        source=rating.source,
        device=rating.device,
    )
    return doc


def rating_from_doc(doc: Mapping[str, Any]) -> Rating:
    f = Fields.of(doc, ServiceDoc.RATING)
    project_id = f.reference("project_id")
    if not project_id:
        raise f.fail("project_id", "the rated project's id")
    scores = f.mapping("scores") or {}
    if not scores or not all(
        k in HEARTS and isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5
        for k, v in scores.items()
    ):
        raise f.fail("scores", "scores from 1 to 5 by 心")
    return Rating(
        project_id=project_id,
        scores=dict(scores),
        collected_on=f.required_day("collected_on"),
        source=f.text("source", "paper"),
        device=f.text("device"),
        **_common(f),
    )


#: The schema of each service type a village's database holds (for the quarantine).
PARSERS: Final[Mapping[str, Callable[[Mapping[str, Any]], object]]] = {
    ServiceDoc.RESOURCE: resource_from_doc,
    ServiceDoc.PROJECT: project_from_doc,
    ServiceDoc.PAIRING: pairing_from_doc,
    ServiceDoc.NEED: need_from_doc,
    ServiceDoc.SERVICE_LOG: service_log_from_doc,
    ServiceDoc.POST: post_from_doc,
    ServiceDoc.CLAIM: claim_from_doc,
    ServiceDoc.DUTY_LOG: duty_log_from_doc,
    ServiceDoc.RATING: rating_from_doc,
}
