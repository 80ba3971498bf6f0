"""Each village's public database, and the CouchDB job that keeps it filled.

``village_<code>_public`` is what the village's kiosk reads, and all its kiosk account can
read. ``county init`` makes it beside the village's database with:

* ``_security``: members the kiosk's role, the reviewers of the village (county and
  township) and the publishing account's role; admins the county's administrators;
* a design document whose ``validate_doc_update`` (``validate_public.js``) accepts nothing but
  public twins whose every field is on the allow-list of :mod:`village_app.domain.publicity`;
* a ``_replicator`` document: a continuous replication from ``village_<code>`` with the
  kiosk selector (twins only), run by CouchDB itself, as the **publishing account**.

The publishing account (role ``county_publisher``) is the one account that reads village
databases and writes public ones; it is made by ``county init`` with a random password that
only the ``_replicator`` documents hold (CouchDB shows them to administrators only). A rerun
finds the password there again, so it changes nothing; if it cannot (the documents were
deleted, the account's password changed), it sets a new one and rewrites every document.

The database is the boundary: whatever a village's database holds, its public database
refuses what is not on the list, and a kiosk cannot read anything else."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final
from urllib.parse import quote

from sync.couch_server import CouchServer
from sync.errors import CouchError, NotFoundError, UnauthorizedError
from village_app.county import roles
from village_app.domain.publicity import kiosk_selector, schema_json

log = logging.getLogger(__name__)

DESIGN_ID: Final = "_design/cunyi"
REPLICATOR_DB: Final = "_replicator"
#: The publishing account's name unless ``county init`` is told another.
DEFAULT_PUBLISHER: Final = "cunyi_publisher"


@dataclass(frozen=True)
class Publisher:
    """The account CouchDB's replicator fills public databases as."""

    name: str
    password: str

    @property
    def authorization(self) -> str:
        token = base64.b64encode(f"{self.name}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def validate_source(village_code: str) -> str:
    template = (
        resources.files("village_app.county")
        .joinpath("validate_public.js")
        .read_text(encoding="utf-8")
    )
    schema = json.dumps(schema_json(), ensure_ascii=False, sort_keys=True)
    return (
        template.replace("/*SCHEMA*/null", schema)
        .replace("/*VILLAGE*/null", json.dumps(village_code))
        .strip()
    )


def design_doc(village_code: str) -> dict[str, Any]:
    return {
        "_id": DESIGN_ID,
        "language": "javascript",
        "validate_doc_update": validate_source(village_code),
    }


def security_doc(village_code: str, township: str) -> dict[str, Any]:
    return {
        "admins": {"names": [], "roles": [roles.COUNTY_ADMIN]},
        "members": {
            "names": [],
            "roles": [
                roles.kiosk_role(village_code),
                *roles.reviewer_roles(township),
                roles.COUNTY_PUBLISHER,
            ],
        },
    }


def replicator_id(village_code: str, prefix: str = "") -> str:
    return f"cunyi:{roles.public_database(village_code, prefix)}"


def replicator_doc(
    base_url: str, village_code: str, prefix: str, publisher: Publisher
) -> dict[str, Any]:
    """The ``_replicator`` document of one village: ``base_url`` is the server as CouchDB
    reaches itself (without credentials; they go in the headers, as CouchDB 3 and PouchDB's
    replicator both read them)."""
    headers = {"Authorization": publisher.authorization}
    base = base_url.rstrip("/")
    return {
        "_id": replicator_id(village_code, prefix),
        "source": {
            "url": f"{base}/{quote(roles.village_database(village_code, prefix), safe='')}",
            "headers": headers,
        },
        "target": {
            "url": f"{base}/{quote(roles.public_database(village_code, prefix), safe='')}",
            "headers": headers,
        },
        "selector": kiosk_selector(),
        "continuous": True,
    }


def _same_job(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Equal but for what the replicator adds (``_replication_state`` and the like)."""
    return {k: v for k, v in current.items() if not k.startswith("_")} == {
        k: v for k, v in wanted.items() if not k.startswith("_")
    }


def _password_in(job: Mapping[str, Any], name: str) -> str | None:
    """The publishing account's password as a ``_replicator`` document holds it."""
    source = job.get("source")
    headers = source.get("headers") if isinstance(source, Mapping) else None
    value = headers.get("Authorization") if isinstance(headers, Mapping) else None
    if not isinstance(value, str) or not value.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password if user == name and password else None


async def ensure_publisher(
    server: CouchServer, name: str, village_codes: Sequence[str], prefix: str = ""
) -> tuple[Publisher, bool]:
    """The publishing account, made or checked: its password as the ``_replicator``
    documents hold it if it still opens the account, else a new one. Returns the account and
    whether it was created or its password reset."""
    jobs = await server.database(REPLICATOR_DB, create=False)
    try:
        known = None
        for code in village_codes:
            try:
                known = _password_in(await jobs.get(replicator_id(code, prefix)), name)
            except NotFoundError:
                continue
            if known:
                break
    finally:
        await jobs.close()
    wanted_roles = [roles.COUNTY_PUBLISHER]
    if known and await _opens(server, name, known):
        await server.put_user(name, None, wanted_roles)  # keep the roles right
        return Publisher(name, known), False
    publisher = Publisher(name, secrets.token_urlsafe(32))
    await server.put_user(name, publisher.password, wanted_roles)
    log.info("publishing account %s: a new password (the _replicator documents hold it)", name)
    return publisher, True


async def _opens(server: CouchServer, name: str, password: str) -> bool:
    base = server.url
    scheme, _, rest = base.partition("://")
    url = f"{scheme}://{quote(name, safe='')}:{quote(password, safe='')}@{rest}"
    try:
        async with CouchServer(url) as as_publisher:
            ctx = (await as_publisher.session()).get("userCtx") or {}
    except (UnauthorizedError, CouchError):
        return False
    return isinstance(ctx, Mapping) and ctx.get("name") == name


async def put_job(server: CouchServer, wanted: Mapping[str, Any]) -> bool:
    """Write one ``_replicator`` document unless it says so already; returns whether it was
    written. A changed one is deleted and written again: CouchDB restarts the job either way,
    and PouchDB's replicator refuses edits of a running job's document."""
    jobs = await server.database(REPLICATOR_DB, create=False)
    try:
        try:
            current = await jobs.get(str(wanted["_id"]))
        except NotFoundError:
            current = None
        if current is not None and _same_job(current, wanted):
            return False
        if current is not None:
            await jobs.delete(str(current["_id"]), str(current["_rev"]))
        await jobs.put(dict(wanted))
        return True
    finally:
        await jobs.close()


async def ensure_replicator_db(server: CouchServer, existing: set[str]) -> None:
    """CouchDB's cluster setup makes ``_replicator``; a single node set up by hand may lack it."""
    if REPLICATOR_DB not in existing:
        with contextlib.suppress(CouchError):  # made meanwhile, or the server makes it itself
            await server.create_db(REPLICATOR_DB)
