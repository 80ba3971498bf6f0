"""The service lists in the village store, and the sealing of a need's person: never in clear
in the ``.sqlite`` file or in the document the county receives (issue 13, "Privacy")."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

import sync
from sync.couch_server import CouchServer
from village_app import repo
from village_app.domain import SHANGHAI, NotFound, ValidationError
from village_app.domain.services import (
    PERSON_BROKEN,
    PERSON_CLEAR,
    PERSON_SEALED,
    Claim,
    DutyLog,
    Need,
    NeedPerson,
    OrgRef,
    Post,
    Project,
    Rating,
    Resource,
    ServiceDoc,
    ServiceLog,
)
from village_app.domain.write_rules import WriteRefused
from village_app.repo.docs import services as sdocs
from village_app.repo.quarantine import check
from village_app.repo.sealing import KEY_FILE, SealBroken, SealKey

V = "430999101001"
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
#: What must never be in clear: the person a need names.
PERSON = NeedPerson("李桂英", "青禾县东坡村三组17号", "13912345678", "独居，左腿骨折后行动不便")
SUMMARY = "需要每周上门送餐和量血压"
CLINIC = OrgRef("service_org:430999:CLINIC", "仁和医院", "县卫健系统行业党委", "hospital")


def _actor(user: str = "secretary") -> repo.Actor:
    return repo.Actor(user, clock=lambda: NOW)


def _store(db: sync.Database, key: SealKey | None, user: str = "secretary") -> repo.VillageStore:
    return repo.VillageStore(db, V, _actor(user), seal_key=key)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[sync.Database]:
    database = await sync.open_database(str(tmp_path / f"{V}.sqlite"))
    try:
        yield database
    finally:
        await database.close()


def _need(**kw: object) -> Need:
    base: dict[str, object] = {
        "group": "elderly_alone",
        "summary": SUMMARY,
        "visited_on": date(2026, 5, 20),
        "categories": ("elderly", "medical"),
        "kind": "life_skills",
        "visited_by": "王党员",
        "person": PERSON,
    }
    return Need(**{**base, **kw})  # type: ignore[arg-type]


def _clear_texts() -> list[bytes]:
    return [v.encode() for v in (PERSON.name, PERSON.address, PERSON.phone, PERSON.notes)]


def test_the_key_is_made_once_private_and_never_printed(tmp_path: Path) -> None:
    key = SealKey.load_or_create(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SealKey.load_or_create(tmp_path).kid == key.kid
    path.chmod(0o644)
    assert SealKey.load(tmp_path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() not in repr(key)
    assert SealKey.load(tmp_path / "elsewhere") is None


def test_sealed_parts_are_bound_to_their_document_and_their_key() -> None:
    key, other = SealKey.generate(), SealKey.generate()
    sealed = key.seal({"name": "李桂英"}, bound_to="service_need:x:1")
    assert key.open(sealed, bound_to="service_need:x:1") == {"name": "李桂英"}
    with pytest.raises(SealBroken) as moved:
        key.open(sealed, bound_to="service_need:x:2")
    assert not moved.value.foreign
    with pytest.raises(SealBroken) as foreign:
        other.open(sealed, bound_to="service_need:x:1")
    assert foreign.value.foreign
    tampered = {
        **sealed,
        "ct": sealed["ct"][:-2] + ("A" if sealed["ct"][-2] != "A" else "B") + sealed["ct"][-1],
    }
    with pytest.raises(SealBroken):
        key.open(tampered, bound_to="service_need:x:1")


async def test_a_needs_person_is_never_in_clear_in_the_sqlite_file(
    db: sync.Database, tmp_path: Path
) -> None:
    key = SealKey.load_or_create(tmp_path)
    saved = await _store(db, key).add_need(_need())
    assert saved.person == PERSON and saved.person_status == PERSON_CLEAR
    # read back: the laptop with the key, the county without it, a laptop with another key
    [mine] = await _store(db, key).list_needs()
    assert mine.person == PERSON
    [theirs] = await _store(db, None).list_needs()
    assert theirs.person is None and theirs.person_status == PERSON_SEALED
    assert theirs.summary == SUMMARY and theirs.categories == ("elderly", "medical")
    [wrong] = await _store(db, SealKey.generate()).list_needs()
    assert wrong.person is None and wrong.person_status == PERSON_BROKEN
    await db.close()
    files = [p for p in tmp_path.iterdir() if p.name.startswith(V)]
    stored = b"".join(p.read_bytes() for p in files)
    assert SUMMARY.encode() in stored  # the file holds the need: the test can fail
    for clear in _clear_texts():
        assert clear not in stored, clear.decode()


async def test_an_edit_keeps_the_sealed_person(db: sync.Database, tmp_path: Path) -> None:
    key = SealKey.generate()
    store = _store(db, key)
    resource = Resource(CLINIC, "上门送餐", "life_skills", ("elderly",), frequency="每周")
    doc = sdocs.resource_to_doc(V, resource, _actor("county"))
    await db.put(doc)  # as the county's pull would bring it
    need = await store.add_need(_need())
    proposed = await store.propose_resource(need.id, str(doc["_id"]), need.rev or "")
    assert proposed.proposed_resource == doc["_id"] and proposed.person == PERSON
    closed = await store.close_need(need.id, "已搬去县城女儿家", proposed.rev or "")
    assert closed.closed and closed.person == PERSON
    with pytest.raises(ValidationError):
        await store.close_need(need.id, " ", closed.rev or "")


async def test_a_need_is_not_written_without_a_key(db: sync.Database) -> None:
    with pytest.raises(Exception) as caught:
        await _store(db, None).add_need(_need())
    assert getattr(caught.value, "code", "") == "seal_key_missing"
    assert await _store(db, None).list_needs() == []


async def test_a_malformed_need_is_quarantined(db: sync.Database) -> None:
    store = _store(db, SealKey.generate())
    need = await store.add_need(_need())
    raw = await db.get(need.id)
    bad = {
        **raw,
        "sealed": {"alg": "A256GCM", "kid": "k", "iv": "x", "ct": "y", "name": PERSON.name},
    }
    assert check(bad, V) is not None and "sealed" in check(bad, V).reason  # type: ignore[union-attr]


async def test_the_village_refuses_to_write_what_the_county_writes(db: sync.Database) -> None:
    project = Project("义诊", f"service_resource:{V}:R", CLINIC, "charity", date(2026, 1, 1))
    doc = sdocs.project_to_doc(V, project, _actor())
    with pytest.raises(WriteRefused):
        await _store(db, None)._put_new(doc)


async def test_services_posts_duties_and_ratings(db: sync.Database) -> None:
    store = _store(db, SealKey.generate())
    county = repo.Actor("county-clerk", clock=lambda: NOW)
    project = Project("上门义诊", f"service_resource:{V}:R", CLINIC, "charity", date(2026, 3, 1))
    project_doc = sdocs.project_to_doc(V, project, county)
    await db.put(project_doc)
    pid = str(project_doc["_id"])
    log = await store.add_service_log(
        ServiceLog(date(2026, 5, 2), "测血压、发药", 18, 3, 9.0, project_id=pid)
    )
    with pytest.raises(NotFound):
        await store.add_service_log(
            ServiceLog(date(2026, 5, 2), "x", 1, project_id=f"service_project:{V}:NOPE")
        )
    with pytest.raises(ValidationError) as future:
        await store.add_service_log(ServiceLog(date(2026, 7, 2), "x", 1, project_id=pid))
    assert future.value.field == "served_on"
    fixed = await store.add_service_log(
        ServiceLog(
            date(2026, 5, 2),
            "测血压、发药",
            16,
            3,
            9.0,
            project_id=pid,
            corrects=log.id,
            reason="重复计了两人",
        )
    )
    assert fixed.corrects == log.id

    posts = await store.list_posts()
    assert len(posts) == 6
    own = await store.add_post(Post("护林员", "巡山防火"))
    assert [p.name for p in await store.list_posts()][-1] == "护林员"
    claim = await store.claim_post(Claim(own.id, "赵大山", "party_member", date(2026, 1, 1)))
    patrol = posts[4]
    await store.claim_post(Claim(patrol.id, "钱志愿", "volunteer", date(2026, 2, 1)))
    with pytest.raises(ValidationError):
        await store.claim_post(Claim(patrol.id, "钱志愿", "volunteer", date(2026, 3, 1)))
    await store.add_duty_log(DutyLog(own.id, "赵大山", date(2026, 5, 1), "巡山一次", 3.0))
    ended = await store.end_claim(claim.id, date(2026, 5, 15), claim.rev or "")
    assert ended.ended_on == date(2026, 5, 15)
    with pytest.raises(ValidationError):
        await store.add_duty_log(DutyLog(own.id, "赵大山", date(2026, 5, 20), "巡山", 3.0))

    await store.add_rating(Rating(pid, {"filial": 5, "close": 4}, date(2026, 5, 3)))
    with pytest.raises(ValidationError):
        await store.add_rating(Rating(pid, {"filial": 5}, date(2026, 5, 3), source="kiosk"))
    review = await store.year_review(2026)
    [project_review] = review.projects
    assert project_review.totals.people_served == 16
    assert project_review.satisfaction.average == 4.5
    duties = {p.post.name: p.duties for p in review.posts}
    assert duties["护林员"] == 1 and duties["治安义务巡防员"] == 0


async def test_the_county_gets_the_need_sealed(
    db: sync.Database, tmp_path: Path, couch_db_url: str
) -> None:
    """Replicated to the peer (as the county's CouchDB): the document there holds the need
    and the sealed part, never the person in clear."""
    key = SealKey.load_or_create(tmp_path)
    need = await _store(db, key).add_need(_need())
    result = await sync.replicate(db, couch_db_url)
    assert result.counters.docs_written >= 1
    server_url, name = couch_db_url.rsplit("/", 1)
    async with CouchServer(server_url) as server:
        remote = await server.database(name, create=False)
        try:
            doc = await remote.get(need.id)
        finally:
            await remote.close()
    text = json.dumps(doc, ensure_ascii=False)
    assert SUMMARY in text and doc["type"] == ServiceDoc.NEED
    for clear in _clear_texts():
        assert clear.decode() not in text
    assert sdocs.need_from_doc(doc, key).person == PERSON
