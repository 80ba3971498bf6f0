"""``county init``: make the county CouchDB match the registry, as often as it is run.

For each village: its database, its ``_security`` (the village's secretary, its township's
reviewers and the county's, and the publishing job, as members; the county's administrators as
admins) and the design document whose ``validate_doc_update`` enforces
:mod:`village_app.domain.write_rules`; and its public database with the job that fills it
(:mod:`village_app.county.publishing`). And the county's own services database
(organisations and the master resource list, :mod:`village_app.county.services_db`), with the
security and rules the app gives it when it makes it on first use. For each kiosk in the
registry, its ratings inbox, which its account alone may write (:mod:`village_app.county.inboxes`).
Only what differs is written, so a second run changes nothing and a registry change (a new
village, a township merged into another) touches just what it changed. Nothing is ever
deleted: a database whose village left the registry is reported and left alone."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

from sync.couch_server import CouchServer
from sync.errors import NotFoundError, PreconditionFailedError
from village_app.county import inboxes, publishing, roles, services_db
from village_app.county.registry import Registry, Village
from village_app.domain.write_rules import rules_json

log = logging.getLogger(__name__)

DESIGN_ID: Final = "_design/cunyi"


def validate_source(village_code: str, township: str | None = None) -> str:
    """The ``validate_doc_update`` source for one village's database; ``township``: the
    9-digit code of its township (by default the one its code starts with)."""
    template = (
        resources.files("village_app.county")
        .joinpath("validate_doc_update.js")
        .read_text(encoding="utf-8")
    )
    return (
        template.replace("/*RULES*/null", rules_json())
        .replace("/*VILLAGE*/null", json.dumps(village_code))
        .replace("/*TOWNSHIP*/null", json.dumps(township or village_code[:9]))
        .strip()
    )


def design_doc(village_code: str, township: str | None = None) -> dict[str, Any]:
    return {
        "_id": DESIGN_ID,
        "language": "javascript",
        "validate_doc_update": validate_source(village_code, township),
    }


def security_doc(village_code: str, township: str | None = None) -> dict[str, Any]:
    return {
        "admins": {"names": [], "roles": [roles.COUNTY_ADMIN]},
        "members": {
            "names": [],
            "roles": [
                roles.village_role(village_code),
                *roles.reviewer_roles(township or village_code[:9]),
                roles.COUNTY_PUBLISHER,
            ],
        },
    }


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)  # databases made
    updated: list[str] = field(default_factory=list)  # "<db>: security", "<db>: rules", "<db>: job"
    unchanged: list[str] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)  # village databases not in the registry

    def summary(self) -> str:
        return (
            f"{len(self.created)} databases created, {len(self.updated)} settings updated, "
            f"{len(self.unchanged)} unchanged"
            + (
                f"; not in the registry (left alone): {', '.join(self.unregistered)}"
                if self.unregistered
                else ""
            )
        )


async def init_county(
    server: CouchServer,
    registry: Registry,
    *,
    prefix: str = "",
    publisher: str = publishing.DEFAULT_PUBLISHER,
    replicate_via: str | None = None,
) -> InitReport:
    """``publisher``: the publishing account's name; ``replicate_via``: the server's address
    as CouchDB reaches itself for the publishing jobs (by default the one given)."""
    report = InitReport()
    existing = set(await server.all_dbs())
    await publishing.ensure_replicator_db(server, existing)
    account, renewed = await publishing.ensure_publisher(
        server, publisher, [v.code for v in registry.villages], prefix
    )
    if renewed:
        report.updated.append(f"{publisher}: password (the publishing jobs are rewritten)")
    for village in registry.villages:
        township = registry.code + village.township
        await _provision_village(server, village, township, prefix, existing, report)
        await _provision_public(
            server, village, township, prefix, existing, report, account, replicate_via
        )
    await _provision_services(server, registry, prefix, existing, report)
    for staff in registry.staff:
        if staff.role == "kiosk" and staff.village is not None:
            await _provision_inbox(server, staff.village, staff.name, prefix, existing, report)
    wanted = {roles.village_database(v.code, prefix) for v in registry.villages}
    report.unregistered = sorted(
        name
        for name in existing
        if name.startswith(prefix + "village_")
        and not name.endswith("_public")
        and name not in wanted
    )
    return report


async def _provision_village(
    server: CouchServer,
    village: Village,
    township: str,
    prefix: str,
    existing: set[str],
    report: InitReport,
) -> None:
    name = roles.village_database(village.code, prefix)
    fresh, changed = await _settle(
        server,
        name,
        security_doc(village.code, township),
        design_doc(village.code, township),
        existing,
        report,
    )
    _note(report, name, fresh, changed)


async def _provision_public(
    server: CouchServer,
    village: Village,
    township: str,
    prefix: str,
    existing: set[str],
    report: InitReport,
    publisher: publishing.Publisher,
    replicate_via: str | None,
) -> None:
    name = roles.public_database(village.code, prefix)
    fresh, changed = await _settle(
        server,
        name,
        publishing.security_doc(village.code, township),
        publishing.design_doc(village.code),
        existing,
        report,
    )
    job = publishing.replicator_doc(replicate_via or server.url, village.code, prefix, publisher)
    if await publishing.put_job(server, job):
        changed.append(f"{name}: job")
    _note(report, name, fresh, changed)


async def _provision_services(
    server: CouchServer, registry: Registry, prefix: str, existing: set[str], report: InitReport
) -> None:
    """``<prefix>county_services`` as :meth:`~services_db.CountyServices.ensure` makes it on
    first use (its security admits every township's reviewers: a registry change may touch it)."""
    name = services_db.database_name(prefix)
    fresh, changed = await _settle(
        server,
        name,
        services_db.security_doc(registry),
        services_db.design_doc(registry),
        existing,
        report,
    )
    _note(report, name, fresh, changed)


async def _settle(
    server: CouchServer,
    name: str,
    security: Mapping[str, Any],
    design: Mapping[str, Any],
    existing: set[str],
    report: InitReport,
) -> tuple[bool, list[str]]:
    """Make database ``name`` if missing, then write its security and design document where
    they differ: whether it was made now, and what was changed."""
    fresh = False
    if name not in existing:
        try:
            await server.create_db(name)
            report.created.append(name)
            fresh = True
            log.info("created %s", name)
        except PreconditionFailedError:
            pass  # made meanwhile (another init): go on as for an existing one
    changed = []
    if not _same_security(await server.get_security(name), security):
        await server.put_security(name, security)
        changed.append(f"{name}: security")
    if not await _same_design(server, name, design):
        await server.put_design(name, design)
        changed.append(f"{name}: rules")
    return fresh, changed


def _note(report: InitReport, name: str, fresh: bool, changed: list[str]) -> None:
    if fresh:
        return
    if changed:
        report.updated.extend(changed)
    else:
        report.unchanged.append(name)


async def _provision_inbox(
    server: CouchServer,
    village: str,
    kiosk: str,
    prefix: str,
    existing: set[str],
    report: InitReport,
) -> None:
    """A kiosk's inbox, where its villagers' ratings wait for the county
    (:mod:`village_app.county.inboxes`)."""
    name = roles.kiosk_inbox(village, kiosk, prefix)
    fresh, changed = await _settle(
        server,
        name,
        inboxes.security_doc(kiosk),
        inboxes.design_doc(village, kiosk),
        existing,
        report,
    )
    _note(report, name, fresh, changed)


def _same_security(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    def norm(doc: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for part in ("admins", "members"):
            section = doc.get(part) if isinstance(doc.get(part), Mapping) else {}
            assert isinstance(section, Mapping)
            out[part] = {
                key: sorted(str(x) for x in section.get(key) or []) for key in ("names", "roles")
            }
        return out

    return norm(current) == norm(wanted)


async def _same_design(server: CouchServer, name: str, wanted: Mapping[str, Any]) -> bool:
    db = await server.database(name, create=False)
    try:
        current = await db.get(str(wanted.get("_id", DESIGN_ID)))
    except NotFoundError:
        return False
    finally:
        await db.close()
    return all(current.get(k) == v for k, v in wanted.items() if k != "_id")
