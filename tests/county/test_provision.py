"""``county init`` and ``county user add``: what they make on the server, that a second run
changes nothing, that a registry change touches only what changed, and the registry's own
mistakes reported all at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from couchpeer import ROOT, PeerCleanup

from county.provisioned import PASSWORD, County, provision, registry_for
from sync.couch_server import CouchServer
from village_app.county import roles, services_db
from village_app.county.provision import DESIGN_ID, init_county
from village_app.county.registry import RegistryError, load, parse
from village_app.county.services_db import CountyServices
from village_app.domain.publicity import kiosk_selector

FIXTURE = ROOT / "fixtures" / "county.toml"


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


def test_the_demo_registry() -> None:
    registry = load(FIXTURE)
    assert registry.name == "青禾县" and len(registry.townships) == 4
    assert len(registry.villages) >= 40
    xinglin = registry.village("990101001001")
    assert xinglin is not None and xinglin.name == "杏林村" and xinglin.township == "001"
    reviewer = registry.staff_member("dongxi-zhou")
    assert reviewer is not None and reviewer.couch_roles(registry.code) == ["township_990101001"]


def test_registry_mistakes_are_all_reported() -> None:
    with pytest.raises(RegistryError) as error:
        parse(
            {
                "county": {"name": "县", "code": "99010"},
                "townships": [{"code": "001", "name": "甲"}, {"code": "001", "name": "乙"}],
                "villages": [
                    {"code": "990101001001", "name": "一村", "township": "001"},
                    {"code": "990101001001", "name": "二村", "township": "001"},
                    {"code": "990101009001", "name": "三村", "township": "009"},
                ],
                "staff": [{"name": "x", "role": "mayor"}, {"name": "y", "role": "secretary"}],
            }
        )
    problems = error.value.problems
    assert any("county.code" in p for p in problems)
    assert "duplicate township code '001'" in problems
    assert "duplicate village code '990101001001'" in problems
    assert any("villages[2].township" in p for p in problems)
    assert any("staff[0].role" in p for p in problems)
    assert any("staff[1].village" in p for p in problems)


async def test_init_makes_databases_with_security_and_rules(county: County) -> None:
    async with CouchServer(county.url) as server:
        names = set(await server.all_dbs())
        for village in county.registry.villages:
            name = county.db(village.code)
            assert name in names
            security = await server.get_security(name)
            assert security["admins"]["roles"] == ["county_admin"]
            assert set(security["members"]["roles"]) == {
                roles.village_role(village.code),
                roles.township_role(village.code[:9]),
                "county_reviewer",
                "county_publisher",
            }
            db = await server.database(name, create=False)
            try:
                assert f'"{village.code}"' in (await db.get(DESIGN_ID))["validate_doc_update"]
            finally:
                await db.close()
            # Its public database: the kiosk reads it, the publishing job writes it.
            public = county.public_db(village.code)
            assert public in names
            security = await server.get_security(public)
            assert security["admins"]["roles"] == ["county_admin"]
            assert set(security["members"]["roles"]) == {
                roles.kiosk_role(village.code),
                roles.township_role(village.code[:9]),
                "county_reviewer",
                "county_publisher",
            }
            db = await server.database(public, create=False)
            try:
                assert '"public_matter"' in (await db.get(DESIGN_ID))["validate_doc_update"]
            finally:
                await db.close()
            jobs = await server.database("_replicator", create=False)
            try:
                job = await jobs.get(f"cunyi:{public}")
            finally:
                await jobs.close()
            assert job["source"]["url"].endswith("/" + name) and job["continuous"] is True
            assert job["target"]["url"].endswith("/" + public)
            assert job["selector"] == kiosk_selector()


async def test_init_makes_the_county_services_database(county: County) -> None:
    """The services database as the app makes it on first use: county staff (and every
    township's reviewers) read it, only county-wide staff write it, and only the county's
    organisations and resources; the app then finds it ready and changes nothing."""
    name = county.services_db
    assert name in county.report.created
    async with CouchServer(county.url) as server:
        security = await server.get_security(name)
        assert security["admins"]["roles"] == ["county_admin"]
        assert set(security["members"]["roles"]) == {
            "county_reviewer",
            roles.township_role(county.village_a[:9]),
            roles.township_role(county.village_b[:9]),
        }
        db = await server.database(name, create=False)
        try:
            design = await db.get(services_db.DESIGN_ID)
            assert f'"{county.registry.code}"' in design["validate_doc_update"]
            services = CountyServices(server, county.registry, county.prefix)
            services_db._READY.discard((server.url, name))  # as a freshly started app
            await services.ensure()
            assert (await db.get(services_db.DESIGN_ID))["_rev"] == design["_rev"]
        finally:
            await db.close()
    org = {
        "type": "service_org",
        "village": county.registry.code,
        "name": "仁和医院",
        "created_by": county.accounts["county"],
        "created_at": "2026-12-03T08:00:00Z",
    }
    async with httpx.AsyncClient() as client:

        async def put(docid: str, doc: dict[str, str], who: str) -> httpx.Response:
            return await client.put(
                f"{county.base}/{name}/{docid}", json=doc, auth=(county.accounts[who], PASSWORD)
            )

        ok = await put(f"service_org:{county.registry.code}:1", org, "county")
        assert ok.status_code == 201, ok.text
        # A township's reviewer reads it (matching needs) but does not keep the lists.
        refused = await put(f"service_org:{county.registry.code}:2", org, "township_a")
        assert refused.status_code == 403 and "county_writes_only" in refused.text
        other = await put("service_org:000000:3", {**org, "village": "000000"}, "county")
        assert other.status_code == 403 and "village_scope" in other.text
        read = await client.get(
            f"{county.base}/{name}/service_org:{county.registry.code}:1",
            auth=(county.accounts["township_a"], PASSWORD),
        )
        assert read.status_code == 200
        secretary = await client.get(
            f"{county.base}/{name}/service_org:{county.registry.code}:1",
            auth=(county.accounts["secretary_a"], PASSWORD),
        )
        assert secretary.status_code in (401, 403)


async def test_init_finds_the_services_database_the_app_made(county: County) -> None:
    """Made by the app before any init ran (a county set up by an older version): init
    leaves it as it is."""
    async with CouchServer(county.url) as server:
        await server.delete_db(county.services_db)
        services_db._READY.discard((server.url, county.services_db))
        await CountyServices(server, county.registry, county.prefix).ensure()
        report = await init_county(
            server, county.registry, prefix=county.prefix, publisher=county.publisher.name
        )
        assert county.services_db in report.unchanged
        assert not [u for u in report.updated if u.startswith(county.services_db)]


async def test_a_second_run_changes_nothing(county: County) -> None:
    async with CouchServer(county.url) as server:
        db = await server.database(county.db(county.village_a), create=False)
        try:
            rev = (await db.get(DESIGN_ID))["_rev"]
            report = await init_county(
                server, county.registry, prefix=county.prefix, publisher=county.publisher.name
            )
            assert report.created == [] and report.updated == []
            assert sorted(report.unchanged) == sorted(
                [
                    *(
                        name
                        for v in county.registry.villages
                        for name in (county.db(v.code), county.public_db(v.code))
                    ),
                    county.services_db,
                    # The kiosk's ratings inbox (issue 13).
                    roles.kiosk_inbox(county.village_a, county.accounts["kiosk_a"], county.prefix),
                ]
            )
            assert (await db.get(DESIGN_ID))["_rev"] == rev
        finally:
            await db.close()


async def test_a_registry_change_touches_what_changed(county: County) -> None:
    """A new village in township 002, and township 002 merged into 001 (village B keeps its
    code, as villages do): the new database is made, B's reviewers and rules change, A is
    left as it was."""
    code, a, b = county.registry.code, county.village_a, county.village_b
    new = f"{code}002009"
    grown = registry_for(
        code, county.accounts, extra=[{"code": new, "name": "新村", "township": "002"}]
    )
    merged = parse(
        {
            "county": {"name": grown.name, "code": code},
            "townships": [{"code": "001", "name": "甲镇"}],
            "villages": [
                {"code": v.code, "name": v.name, "township": "001"} for v in grown.villages
            ],
        }
    )
    async with CouchServer(county.url) as server:
        publisher = county.publisher.name
        report = await init_county(server, grown, prefix=county.prefix, publisher=publisher)
        assert report.created == [county.db(new), county.public_db(new)]
        assert report.updated == []
        report = await init_county(server, merged, prefix=county.prefix, publisher=publisher)
        assert report.created == [] and county.db(a) in report.unchanged
        assert sorted(report.updated) == sorted(
            [
                *(f"{county.db(v)}: {what}" for v in (b, new) for what in ("security", "rules")),
                *(f"{county.public_db(v)}: security" for v in (b, new)),
                # The services database admits every township's reviewers: 002 is gone.
                f"{county.services_db}: security",
            ]
        )
        assert set((await server.get_security(county.db(b)))["members"]["roles"]) == {
            "village_" + b,
            roles.township_role(code + "001"),
            "county_reviewer",
            "county_publisher",
        }
        again = await init_county(server, merged, prefix=county.prefix, publisher=publisher)
        assert again.updated == []
    # The merged township's reviewer now writes reviews into B's database.
    async with httpx.AsyncClient() as client:
        review = {
            "_id": f"review:{b}:1",
            "type": "review",
            "village": b,
            "created_by": county.accounts["township_a"],
            "created_at": "2026-11-02T08:00:00Z",
        }
        put = await client.put(
            f"{county.base}/{county.db(b)}/{review['_id']}",
            json=review,
            auth=(county.accounts["township_a"], PASSWORD),
        )
        assert put.status_code == 201, put.text


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "village_app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def test_cli_user_add_makes_the_account_the_registry_describes(
    county: County, tmp_path: Path
) -> None:
    registry = tmp_path / "county.toml"
    a = county.village_a
    registry.write_text(
        f"""
[county]
name = "测试县"
code = "{county.registry.code}"
[[townships]]
code = "001"
name = "甲镇"
[[villages]]
code = "{a}"
name = "甲村"
township = "001"
[[staff]]
name = "{county.accounts["secretary_a"]}"
role = "secretary"
village = "{a}"
""",
        encoding="utf-8",
    )
    name = county.accounts["secretary_a"]
    done = _cli(
        "county",
        "user",
        "add",
        "--couch",
        county.url,
        "--registry",
        str(registry),
        name,
        "--password-stdin",
        stdin="new-password\n",
    )
    assert done.returncode == 0, done.stderr
    assert f"updated {name!r} with roles village_{a}" in done.stdout
    async with httpx.AsyncClient() as client:
        session = await client.post(
            f"{county.base}/_session", json={"name": name, "password": "new-password"}
        )
        assert session.status_code == 200 and session.json()["roles"] == [f"village_{a}"]
        old = await client.post(
            f"{county.base}/_session", json={"name": name, "password": PASSWORD}
        )
        assert old.status_code == 401
    unknown = _cli(
        "county",
        "user",
        "add",
        "--couch",
        county.url,
        "--registry",
        str(registry),
        "stranger",
        "--password-stdin",
        stdin="x\n",
    )
    assert unknown.returncode == 2 and "not in the registry's staff" in unknown.stderr


def test_cli_init_reports_every_registry_mistake(tmp_path: Path) -> None:
    registry = tmp_path / "bad.toml"
    registry.write_text(
        '[county]\nname = "县"\ncode = "990101"\n[[townships]]\ncode = "001"\nname = "甲"\n'
        '[[villages]]\ncode = "990101001001"\nname = "一"\ntownship = "001"\n'
        '[[villages]]\ncode = "990101001001"\nname = "二"\ntownship = "001"\n',
        encoding="utf-8",
    )
    done = _cli("county", "init", "--couch", "http://127.0.0.1:9", "--registry", str(registry))
    assert done.returncode == 2
    assert "duplicate village code '990101001001'" in done.stderr
    assert "Traceback" not in done.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[county\n", encoding="utf-8")
    done = _cli("county", "init", "--couch", "http://127.0.0.1:9", "--registry", str(broken))
    assert done.returncode == 2 and "not valid TOML" in done.stderr
