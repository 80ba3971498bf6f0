"""Nothing private goes on a kiosk's stick: the same random villages as the network chain's
property test (tests/county/test_kiosk_chain.py: named votes, attendance names, phone and ID
numbers, close relatives, moral reviews that are not commendations, drafts, party members,
rules not published, member_private documents, and raw documents of every type with private
fields as a broken laptop would write them), recorded on a laptop and exported with
导出到查询机. Every revision in the bundle and on the kiosk that imported it is on the
allow-list, field by field, and holds none of the private values; the public ones arrive."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from county.test_kiosk_chain import (
    _PLANS,
    Plan,
    Tokens,
    _assert_nothing_private,
    _every_revision,
    _raw,
    _record_matter,
    _record_members,
)
from hypothesis import HealthCheck, given, settings

import sync
from village_app import repo
from village_app.bundle.keys import laptop_keys
from village_app.bundle.public import export_public, open_public
from village_app.domain import Village
from village_app.kiosk.pull import KioskFolder
from village_app.kiosk.stick import import_stick
from village_app.repo.public import PublicTwins

CODE = "990101001001"


async def _laptop(folder: Path, plan: Plan, tokens: Tokens) -> sync.Database:
    db = await sync.open_database(str(folder / f"{CODE}.sqlite"))
    caches = repo.VillageCaches(signer=laptop_keys(folder, CODE))
    store = repo.VillageStore(db, CODE, repo.Actor("secretary"), caches)
    await store.save_village(Village(CODE, tokens.shown("村"), "甲镇", "测试县"))
    for matter in plan.matters:
        await _record_matter(store, matter, tokens)
    await _record_members(store, plan, tokens)
    for published in plan.rules:
        make = tokens.shown if published else tokens.secret
        await store.add_village_rule("村规民约", make("规约"), make("条文"), published=published)
    raw = [_raw(CODE, "secretary", t, f, tokens) for t, f in plan.raw]
    await db.bulk_docs([d for d in raw if not d["type"].startswith("public_")])
    await PublicTwins(store).reconcile_all()  # what start-up does
    # Twins with private fields, as a broken laptop would have written them.
    await db.bulk_docs([d for d in raw if d["type"].startswith("public_")])
    return db


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=_PLANS)
def test_nothing_private_goes_on_the_kiosks_stick(
    tmp_path_factory: pytest.TempPathFactory, plan: Plan
) -> None:
    tokens = Tokens()
    folder = tmp_path_factory.mktemp("stick")

    async def run() -> None:
        db = await _laptop(folder, plan, tokens)
        try:
            done = await export_public(db, folder, CODE, folder / "kiosk.cunyi")
        finally:
            await db.close()
        assert done.left_out == sum(1 for t, _ in plan.raw if t.startswith("public_"))
        opened = open_public(done.path, folder / "opened")
        payload = await sync.open_database(str(opened.payload), create=False)
        try:
            in_bundle = await _every_revision(payload)
        finally:
            await payload.close()
        meta = json.dumps(opened.meta, ensure_ascii=False)
        assert not [t for t in tokens.private if t in meta]
        kiosk = KioskFolder(folder / "kiosk")
        imported = await import_stick(kiosk, done.path, trust=opened.key.fingerprint)
        assert imported.refused == 0  # the laptop left out what is not public
        store = await sync.open_database(str(kiosk.store_path))
        try:
            on_kiosk = await _every_revision(store)
        finally:
            await store.close()
        _assert_nothing_private(in_bundle, CODE, tokens, "bundle")
        _assert_nothing_private(on_kiosk, CODE, tokens, "kiosk")
        raw_bytes = done.path.read_bytes().decode("utf-8", "replace")
        assert not [t for t in tokens.private if t in raw_bytes]  # not even in free pages
        arrived = json.dumps(on_kiosk, ensure_ascii=False)
        missing = [t for t in tokens.public if t not in arrived]
        assert not missing, missing

    asyncio.run(run())
