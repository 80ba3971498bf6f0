"""The demo village: loads, is idempotent and deterministic, and has what issue 4 lists."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sync
from village_app import accounts, repo
from village_app.cli import main
from village_app.demo import MARKER, load_demo, load_script
from village_app.domain import COUNCILS, MAJOR_STAGES, BodyKind, MatterView, is_shown

SCRIPT = load_script()
CODE = SCRIPT["village"]["code"]


async def _snapshot(path: Path) -> dict[str, Any]:
    db = await sync.open_database(str(path))
    try:
        rows = (await db.all_docs(include_docs=True))["rows"]
        info = await db.info()
        return {"docs": [r["doc"] for r in rows], "update_seq": info["update_seq"]}
    finally:
        await db.close()


async def _views(path: Path) -> tuple[list[MatterView], Any]:
    db = await sync.open_database(str(path))
    try:
        store = repo.VillageStore(db, CODE)
        views = [await store.matter_view(m.id) for m in await store.list_matters()]
        members = await store.list_members()
        threads = await store.list_supervision()
        user = await accounts.verify_user(db, "demo", "demo-password")
        ceremonies = await store.list_ceremonies()
        return views, (members, threads, user, ceremonies)
    finally:
        await db.close()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--data", str(path)]) == 0
    yield path


def test_loads_into_the_village_file(demo_dir: Path) -> None:
    assert [p.name for p in demo_dir.glob("*.sqlite")] == [f"{CODE}.sqlite"]


def test_second_run_changes_nothing(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = asyncio.run(_snapshot(demo_dir / f"{CODE}.sqlite"))
    assert main(["demo", "--data", str(demo_dir)]) == 0
    assert main(["demo", "--data", str(demo_dir), "--if-empty"]) == 0
    after = asyncio.run(_snapshot(demo_dir / f"{CODE}.sqlite"))
    assert after == before
    out = capsys.readouterr().out
    assert "nothing changed" in out and "demo / demo-password" in out


def test_if_empty_leaves_another_village_alone(tmp_path: Path) -> None:
    (tmp_path / "990101002001.sqlite").write_bytes(b"")
    assert main(["demo", "--data", str(tmp_path), "--if-empty"]) == 0
    assert not (tmp_path / f"{CODE}.sqlite").exists()


def test_refuses_a_file_with_other_records(tmp_path: Path) -> None:
    async def seed() -> None:
        db = await sync.open_database(str(tmp_path / f"{CODE}.sqlite"))
        await db.put({"_id": "someone-elses", "type": "matter"})
        await db.close()

    asyncio.run(seed())
    assert main(["demo", "--data", str(tmp_path)]) == 1


def test_same_seed_same_village(demo_dir: Path, tmp_path: Path) -> None:
    asyncio.run(load_demo(tmp_path))

    def strip(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A need's sealed part is encrypted with the data folder's own key and a fresh nonce:
        # the same person, other bytes (what it holds is compared below by the service tests).
        return [{k: v for k, v in d.items() if k not in ("_rev", "sealed")} for d in docs]

    first = asyncio.run(_snapshot(demo_dir / f"{CODE}.sqlite"))["docs"]
    second = asyncio.run(_snapshot(tmp_path / f"{CODE}.sqlite"))["docs"]
    assert strip(first) == strip(second)


def test_has_what_the_issue_lists(demo_dir: Path) -> None:
    views, (members, threads, user, ceremonies) = asyncio.run(_views(demo_dir / f"{CODE}.sqlite"))
    # A fictional county with a few townships.
    assert SCRIPT["county"]["name"] == "青禾县" and len(SCRIPT["county"]["townships"]) >= 3
    # The core and all councils, supervision, 40+ people.
    bodies = {m.body for m in members}
    assert {
        BodyKind.PARTY_BRANCH,
        BodyKind.SUPERVISION_COMMITTEE,
        BodyKind.REPRESENTATIVES,
        *COUNCILS,
    } <= bodies
    assert len({m.name for m in members}) >= 40
    assert all(m.phone for m in members)
    for council in COUNCILS:
        assert sum(m.convenor for m in members if m.body == council) == 1
    # About 20 matters across every stage, both kinds, more than one year.
    assert 18 <= len(views) <= 24
    current = {v.current_stage for v in views}
    assert {s.key for s in MAJOR_STAGES} | {"completed"} <= current
    assert {v.matter.kind for v in views} == {"major", "council"}
    assert {v.matter.year for v in views} >= {2025, 2026}
    # A representatives' meeting that failed quorum, 20 of 30.
    failed = [
        c.current
        for v in views
        for c in v.stages[3].attempts
        if v.matter.kind == "major" and c.current.outcome and not c.current.outcome.quorate
    ]
    assert failed and all(r.body == "representatives" for r in failed)
    assert any(
        r.attendance and (r.attendance.present, r.attendance.expected) == (20, 30) for r in failed
    )
    # A correction, supervision entries in every status, attachments.
    assert any(v.corrections for v in views)
    assert {t.status for t in threads} == {"open", "rectifying", "closed"}
    attachments = [
        a for v in views for s in v.stages for c in s.attempts for a in c.current.attachments
    ]
    assert {a.content_type for a in attachments} == {"image/png", "application/pdf"}
    # The weddings-and-funerals council's registrations, kept or not.
    assert {c.kept for c in ceremonies} == {True, False}
    # The demo secretary can log in.
    assert user is not None


def test_kiosk_sees_only_what_was_published(demo_dir: Path) -> None:
    docs = asyncio.run(_snapshot(demo_dir / f"{CODE}.sqlite"))["docs"]
    public = [d for d in docs if is_shown(d, CODE)]
    kinds = {d["type"] for d in public}
    assert kinds == {
        "public_village",
        "public_body",
        "public_member",
        "public_village_rule",
        "public_matter",
    }
    sensitive = {d["_id"] for d in docs if d["type"] == "matter" and d["sensitive"]}
    shown = {d["_id"].removeprefix("public_") for d in public}
    assert sensitive & shown and sensitive - shown  # the commendation only


def test_marker_is_local(demo_dir: Path) -> None:
    async def check() -> dict[str, Any]:
        db = await sync.open_database(str(demo_dir / f"{CODE}.sqlite"))
        try:
            return await db.get_local(MARKER)
        finally:
            await db.close()

    assert asyncio.run(check())["village"] == CODE
