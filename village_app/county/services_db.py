"""The county's own services database, ``<prefix>county_services``: the social organisations
and the master resource list (issue 13), and how the list reaches the villages.

Organisations and the master list belong to no village, so they live in one database of
the county's (county staff read it; CouchDB's ``validate_doc_update`` there admits the two
types, of the county, written by its administrators and county-wide reviewers). A village
gets what covers it as documents in its own database, which its laptop already pulls: each
entry of the list is copied into ``village_<code>`` of every village whose township the
entry covers (``service_resource:<code>:<ULID>``, the master's ULID), and the copy is updated
when the master is (an entry that no longer covers a village is marked withdrawn there, never
deleted: a need may name it). The copies carry the organisation's name and party committee,
so a village needs no organisation documents.

Reads and writes go through the county app's administrator connection, after the page has
checked that the person may (county-wide staff); a copy is written only after the same rule
check the village database's CouchDB runs (:func:`~village_app.domain.write_rules.check_write`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from sync.couch import CouchDatabase
from sync.couch_server import CouchServer
from sync.errors import ConflictError, CouchError, NotFoundError, PreconditionFailedError
from village_app.county import roles
from village_app.county.registry import Registry
from village_app.domain import EditConflict, NotFound
from village_app.domain.services import (
    Organisation,
    Resource,
    ResourceChange,
    ServiceDoc,
    resource_changes,
    validate_organisation,
    validate_resource,
)
from village_app.domain.write_rules import Writer, WriteRefused, check_write
from village_app.i18n import N_
from village_app.repo.actor import Actor
from village_app.repo.docs import services as sdocs
from village_app.repo.ids import split_id

log = logging.getLogger(__name__)

DESIGN_ID: Final = "_design/cunyi_services"
#: Village databases written at once when a resource is sent out.
FAN_OUT: Final = 8

#: ``validate_doc_update`` of the services database: the two types, of this county, and
#: only from its administrators and county-wide reviewers.
_VALIDATE: Final = """function (newDoc, oldDoc, userCtx, secObj) {
  var county = /*COUNTY*/null;
  var roles = (userCtx && userCtx.roles) || [];
  function has(list, x) { for (var i = 0; i < list.length; i++) { if (list[i] === x) { return true; } } return false; }
  if (newDoc._id.indexOf('_design/') === 0) { return; }
  if (!has(roles, '_admin') && !has(roles, 'county_admin') && !has(roles, 'county_reviewer')) {
    throw({forbidden: 'county_writes_only: only the county keeps the services lists'});
  }
  if (newDoc._deleted === true) { return; }
  if (newDoc.village !== county) { throw({forbidden: 'village_scope: this database holds the county\\'s lists only'}); }
  if (newDoc.type !== 'service_org' && newDoc.type !== 'service_resource') {
    throw({forbidden: 'unknown_type: organisations and resources only'});
  }
}"""


#: Services databases made ready by this process (by server connection and name).
_READY: set[tuple[str, str]] = set()


def database_name(prefix: str = "") -> str:
    return f"{prefix}county_services"


def security_doc(registry: Registry) -> dict[str, Any]:
    """County staff read it (every township's reviewers too: they match needs to it)."""
    townships = [roles.township_role(registry.code + t.code) for t in registry.townships]
    return {
        "admins": {"names": [], "roles": [roles.COUNTY_ADMIN]},
        "members": {"names": [], "roles": [roles.COUNTY_REVIEWER, *townships]},
    }


def design_doc(registry: Registry) -> dict[str, Any]:
    return {
        "_id": DESIGN_ID,
        "language": "javascript",
        "validate_doc_update": _VALIDATE.replace("/*COUNTY*/null", json.dumps(registry.code)),
    }


@dataclass
class FanOut:
    """What sending one resource to the villages did."""

    written: list[str] = field(default_factory=list)  # village codes whose copy changed
    withdrawn: list[str] = field(default_factory=list)  # copies marked withdrawn
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # code -> why

    @property
    def ok(self) -> bool:
        return not self.failed


class CountyServices:
    """The services database on the county's CouchDB (``server``: an administrator's
    connection)."""

    def __init__(
        self,
        server: CouchServer,
        registry: Registry,
        prefix: str = "",
        *,
        writer_roles: Sequence[str] = (roles.COUNTY_REVIEWER,),
    ) -> None:
        self.server = server
        self.registry = registry
        self.prefix = prefix
        #: The roles of the person the copies are written for (checked as CouchDB would).
        self.writer_roles = tuple(writer_roles)
        self.name = database_name(prefix)
        self._ready = False

    async def ensure(self) -> None:
        """Make the database, its security and its rules if they are missing (idempotent)."""
        if self._ready or (self.server.url, self.name) in _READY:
            return
        with contextlib.suppress(PreconditionFailedError):  # there already
            await self.server.create_db(self.name)
        await self.server.put_security(self.name, security_doc(self.registry))
        db = await self.server.database(self.name, create=False)
        try:
            wanted = design_doc(self.registry)
            try:
                current = await db.get(DESIGN_ID)
            except NotFoundError:
                current = {}
            if current.get("validate_doc_update") != wanted["validate_doc_update"]:
                await self.server.put_design(self.name, wanted)
        finally:
            await db.close()
        self._ready = True
        _READY.add((self.server.url, self.name))

    async def _db(self) -> CouchDatabase:
        await self.ensure()
        return await self.server.database(self.name, create=False)

    def _forget(self) -> None:
        """The database went away (deleted on the server): make it again on next use."""
        self._ready = False
        _READY.discard((self.server.url, self.name))

    async def _all(self, doc_type: str, *, again: bool = True) -> list[dict[str, Any]]:
        db = await self._db()
        try:
            found = await db.find({"type": doc_type, "village": self.registry.code})
        except NotFoundError:
            if not again:
                raise
            self._forget()
            return await self._all(doc_type, again=False)
        finally:
            await db.close()
        docs: list[dict[str, Any]] = found.get("docs", [])
        return docs

    async def organisations(self) -> list[Organisation]:
        out = []
        for doc in await self._all(ServiceDoc.ORGANISATION):
            try:
                out.append(sdocs.org_from_doc(doc))
            except ValueError as exc:
                log.warning("services database: %s unreadable: %s", doc.get("_id"), exc)
        return sorted(out, key=lambda o: (o.sector, o.name, o.id))

    async def organisation(self, org_id: str) -> Organisation | None:
        return next((o for o in await self.organisations() if o.id == org_id), None)

    async def resources(self, org_id: str | None = None) -> list[Resource]:
        out = []
        for doc in await self._all(ServiceDoc.RESOURCE):
            try:
                resource = sdocs.resource_from_doc(doc)
            except ValueError as exc:
                log.warning("services database: %s unreadable: %s", doc.get("_id"), exc)
                continue
            if org_id is None or resource.organisation.id == org_id:
                out.append(resource)
        return sorted(out, key=lambda r: (r.kind, r.organisation.name, r.title, r.id))

    async def _put(self, doc: dict[str, Any], *, again: bool = True) -> dict[str, Any]:
        db = await self._db()
        try:
            written = await db.put(doc)
        except NotFoundError:
            if not again:
                raise
            self._forget()
            return await self._put(doc, again=False)
        finally:
            await db.close()
        return {**doc, "_rev": written["rev"]}

    async def save_organisation(self, org: Organisation, actor: Actor) -> Organisation:
        """A new organisation, or an edit of one (``org.rev``): its resources' copies in the
        villages carry its name, so they are sent again."""
        checked = validate_organisation(org)
        saved = sdocs.org_from_doc(
            await self._put(sdocs.org_to_doc(self.registry.code, checked, actor))
        )
        if org.rev:
            for resource in await self.resources(saved.id):
                renamed = replace(resource, organisation=saved.ref)
                await self._put(sdocs.resource_to_doc(self.registry.code, renamed, actor))
                await self.fan_out(renamed, actor)
        return saved

    async def save_resource(self, resource: Resource, actor: Actor) -> tuple[Resource, FanOut]:
        """Keep the entry in the master list and send it to the villages it covers."""
        checked = validate_resource(resource)
        doc = sdocs.resource_to_doc(self.registry.code, checked, actor)
        saved = sdocs.resource_from_doc(await self._put(doc))
        return saved, await self.fan_out(saved, actor)

    async def resource(self, resource_id: str) -> Resource | None:
        """One entry of the master list (as stored, with its revision and history)."""
        db = await self._db()
        try:
            doc = await db.get(resource_id)
        except NotFoundError:
            return None
        finally:
            await db.close()
        if doc.get("type") != ServiceDoc.RESOURCE or doc.get("village") != self.registry.code:
            return None
        return sdocs.resource_from_doc(doc)

    async def update_resource(self, resource: Resource, actor: Actor) -> tuple[Resource, FanOut]:
        """An edit of an entry of the master list (``resource.rev``: the revision read; an
        edit made meanwhile is refused, not overwritten). What changed is appended to the
        entry's history, as a roster's seat keeps its edits; fields this version does not
        know are kept. Then the villages' copies follow (sent again also when nothing changed:
        a village that failed last time is tried again)."""
        checked = validate_resource(resource)
        db = await self._db()
        try:
            try:
                stored = await db.get(resource.id)
            except NotFoundError:
                raise NotFound(N_("服务资源不存在"), ids=[resource.id]) from None
            before = sdocs.resource_from_doc(stored)
            if resource.rev != before.rev:
                raise EditConflict(N_("此记录已被他人修改，请刷新后再试"), ids=[resource.id])
            changes = resource_changes(before, checked)
            if not changes:
                return before, await self.fan_out(before, actor)
            edited = replace(
                checked,
                organisation=before.organisation,
                created_at=before.created_at,
                created_by=before.created_by,
                history=(*before.history, ResourceChange(actor.stamp(), actor.user, changes)),
            )
            doc = sdocs.resource_to_doc(self.registry.code, edited, actor)
            doc = {**{k: v for k, v in stored.items() if k not in doc}, **doc}
            try:
                written = await db.put(doc)
            except ConflictError:
                raise EditConflict(
                    N_("此记录已被他人修改，请刷新后再试"), ids=[resource.id]
                ) from None
        finally:
            await db.close()
        saved = sdocs.resource_from_doc({**doc, "_rev": written["rev"]})
        return saved, await self.fan_out(saved, actor)

    async def fan_out(
        self, resource: Resource, actor: Actor, codes: Sequence[str] | None = None
    ) -> FanOut:
        """Write the village copies of ``resource`` (every registered village, or ``codes``):
        the entry where it covers the village, withdrawn where it no longer does. Copies
        already as they should be are left alone; a village database that cannot be written
        is reported, and the rest go on."""
        result = FanOut()
        gate = asyncio.Semaphore(FAN_OUT)
        wanted = set(codes) if codes is not None else None

        async def one(code: str, township: str) -> None:
            async with gate:
                try:
                    outcome = await self._copy(resource, actor, code, township)
                except (CouchError, WriteRefused) as exc:
                    result.failed[code] = str(exc) or type(exc).__name__
                    log.warning("resource %s not sent to %s: %s", resource.id, code, exc)
                    return
                if outcome == "written":
                    result.written.append(code)
                elif outcome == "withdrawn":
                    result.withdrawn.append(code)
                else:
                    result.unchanged += 1

        async with asyncio.TaskGroup() as group:
            for village in self.registry.villages:
                if wanted is None or village.code in wanted:
                    group.create_task(one(village.code, village.township))
        return result

    async def _copy(
        self, resource: Resource, actor: Actor, code: str, township: str, *, again: bool = True
    ) -> str:
        _, _, suffix = split_id(resource.id)
        docid = f"{ServiceDoc.RESOURCE}:{code}:{suffix}"
        db = await self.server.database(roles.village_database(code, self.prefix), create=False)
        try:
            try:
                current: dict[str, Any] | None = await db.get(docid)
            except NotFoundError:
                current = None
            covers = resource.covers(township)
            if current is None and not covers:
                return "unchanged"
            copy = replace(
                resource, id=docid, active=resource.active and covers, rev=None, history=()
            )
            doc = sdocs.resource_to_doc(code, copy, actor, docid=docid)
            if current is not None:
                kept = {k: current.get(k) for k in ("created_at", "created_by")}
                doc = {**doc, **kept, "_rev": current["_rev"]}
                if _same(current, doc):
                    return "unchanged"
                doc["updated_at"], doc["updated_by"] = actor.stamp(), actor.user
            refusal = check_write(
                doc,
                current,
                Writer(actor.user, self.writer_roles),
                code,
                self.registry.code + township,
            )
            if refusal is not None:
                raise WriteRefused.of(refusal)
            try:
                await db.put(doc)
            except ConflictError:
                if not again:
                    raise
                # Changed meanwhile (another clerk's save): read it again, once.
                return await self._copy(resource, actor, code, township, again=False)
        finally:
            await db.close()
        return "written" if covers else "withdrawn"


def _same(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    skip = {"_rev", "_revisions", "updated_at", "updated_by", "created_at", "created_by"}

    def bare(doc: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k not in skip and not k.startswith("_")}

    return bare(current) == bare(wanted)
