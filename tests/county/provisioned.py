"""A small county provisioned on the peer for a test: two villages in two townships, a
registry whose staff are real ``_users`` accounts, every database under one test prefix
(deleted at the end, also on failure)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from couchpeer import PeerCleanup

from sync.couch_http import split_url
from sync.couch_server import CouchServer
from village_app.county import roles
from village_app.county.provision import InitReport, init_county
from village_app.county.publishing import Publisher, ensure_publisher
from village_app.county.registry import Registry, parse

PASSWORD = "county-test-pw"


@dataclass
class County:
    url: str  # the server, with the administrator's credentials
    base: str  # the server, without credentials
    prefix: str
    registry: Registry
    report: InitReport
    accounts: dict[str, str]  # role in the tests -> account name
    publisher: Publisher  # the account CouchDB fills the public databases as

    @property
    def village_a(self) -> str:
        return self.registry.villages[0].code

    @property
    def village_b(self) -> str:
        return self.registry.villages[1].code

    def db(self, code: str) -> str:
        return roles.village_database(code, self.prefix)

    def public_db(self, code: str) -> str:
        return roles.public_database(code, self.prefix)

    @property
    def services_db(self) -> str:
        """The county's services database (organisations, the master resource list)."""
        return f"{self.prefix}county_services"


def registry_for(
    county_code: str, accounts: dict[str, str], *, extra: list[dict[str, Any]] | None = None
) -> Registry:
    a, b = f"{county_code}001001", f"{county_code}002001"
    return parse(
        {
            "county": {"name": "测试县", "code": county_code},
            "townships": [{"code": "001", "name": "甲镇"}, {"code": "002", "name": "乙乡"}],
            "villages": [
                {"code": a, "name": "甲村", "township": "001"},
                {"code": b, "name": "乙村", "township": "002"},
                *(extra or []),
            ],
            "staff": [
                {"name": accounts["secretary_a"], "role": "secretary", "village": a},
                {"name": accounts["secretary_b"], "role": "secretary", "village": b},
                {"name": accounts["township_a"], "role": "township_reviewer", "townships": ["001"]},
                {"name": accounts["county"], "role": "county_reviewer"},
                {"name": accounts["kiosk_a"], "role": "kiosk", "village": a},
            ],
        }
    )


async def provision(
    couch_url: str, cleanup: PeerCleanup, *, county_code: str | None = None
) -> AsyncIterator[County]:
    """Yields a provisioned county (``county_code``: a random one by default); deletes its
    databases and accounts afterwards."""
    prefix = cleanup.db_name("county_") + "_"
    accounts = {
        who: cleanup.user_name()
        for who in ("secretary_a", "secretary_b", "township_a", "county", "kiosk_a", "publisher")
    }
    county_code = county_code or f"{random.randrange(100000, 999999)}"
    registry = registry_for(county_code, accounts)
    address, _ = split_url(couch_url, with_db=False)
    try:
        async with CouchServer(couch_url) as server:
            report = await init_county(
                server, registry, prefix=prefix, publisher=accounts["publisher"]
            )
            for staff in registry.staff:
                await server.put_user(staff.name, PASSWORD, staff.couch_roles(registry.code))
            publisher, _ = await ensure_publisher(
                server, accounts["publisher"], [v.code for v in registry.villages], prefix
            )
        yield County(couch_url, address.base, prefix, registry, report, accounts, publisher)
    finally:
        _delete_jobs(cleanup, prefix)
        for name in cleanup.all_dbs():
            if name.startswith(prefix):
                cleanup.delete_db(name)
        for name in accounts.values():
            cleanup.delete_user(name)


def _delete_jobs(cleanup: PeerCleanup, prefix: str) -> None:
    """The publishing jobs ``county init`` wrote into ``_replicator`` for these databases."""
    import httpx

    found = httpx.get(
        f"{cleanup.base}/_replicator/_all_docs",
        params={"startkey": f'"cunyi:{prefix}"', "endkey": f'"cunyi:{prefix}\ufff0"'},
        auth=cleanup.auth,
        timeout=30,
    )
    if found.status_code != 200:
        return
    for row in found.json().get("rows", []):
        httpx.delete(
            f"{cleanup.base}/_replicator/{row['id']}",
            params={"rev": row["value"]["rev"]},
            auth=cleanup.auth,
            timeout=30,
        )


def registry_toml(registry: Registry) -> str:
    """The registry as a file ``serve --registry`` reads."""

    def table(name: str, fields: dict[str, Any]) -> str:
        lines = [f"[[{name}]]"]
        for key, value in fields.items():
            if isinstance(value, tuple | list):
                lines.append(f"{key} = [{', '.join(repr(str(v)) for v in value)}]")
            elif value is not None:
                lines.append(f'{key} = "{value}"')
        return "\n".join(lines)

    parts = [f'[county]\nname = "{registry.name}"\ncode = "{registry.code}"']
    parts += [table("townships", {"code": t.code, "name": t.name}) for t in registry.townships]
    parts += [
        table("villages", {"code": v.code, "name": v.name, "township": v.township})
        for v in registry.villages
    ]
    parts += [
        table(
            "staff",
            {
                "name": s.name,
                "display": s.display,
                "role": s.role,
                "village": s.village,
                "townships": s.townships if s.townships else None,
            },
        )
        for s in registry.staff
    ]
    return "\n\n".join(parts) + "\n"
