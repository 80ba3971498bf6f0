"""Each village's public database on the county server: filled by CouchDB itself (the
``_replicator`` job ``county init`` writes) from what a laptop pushes, holding public twins
only; its validate_doc_update refuses what the domain's allow-list refuses, field by field
(the JavaScript and its Python mirror run on the same documents)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup
from domain.test_publicity import ACCEPTED, REFUSED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sync
from county.provisioned import County, provision
from village_app import repo
from village_app.domain import Matter, Member, Village, check_public
from village_app.domain.publicity import PUBLIC_FIELDS, PUBLIC_TYPES
from village_app.repo.public import PublicTwins

pytestmark = pytest.mark.peer


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


def _as(county: County, who: str, url: str) -> str:
    scheme, rest = url.split("://", 1)
    password = county.publisher.password if who == "publisher" else "county-test-pw"
    return f"{scheme}://{county.accounts[who]}:{password}@{rest}"


async def _public_ids(county: County, code: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as client:
        url = f"{county.url}/{county.public_db(code)}/_all_docs"
        rows = (await client.get(url, params={"include_docs": "true"})).json()["rows"]
    return {r["id"]: r["doc"] for r in rows}


async def _until(check: Any, what: str, *, seconds: float = 30) -> Any:
    """Wait for CouchDB's replicator (it runs on its own): poll until ``check()`` is truthy."""
    for _ in range(int(seconds * 10)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_laptops_push_reaches_the_public_database_as_twins_only(
    county: County, tmp_path: Path
) -> None:
    code = county.village_a
    laptop = await sync.open_database(str(tmp_path / f"{code}.sqlite"))
    store = repo.VillageStore(laptop, code, repo.Actor(county.accounts["secretary_a"]))
    await store.save_village(Village(code, "甲村", "甲镇", "测试县"))
    await store.add_member(Member("villagers_committee", "林国强", "主任", phone="13800000000"))
    await store.create_matter(Matter(kind="major", title="草案", body="", year=2026))
    await PublicTwins(store).reconcile_all()
    target = _as(county, "secretary_a", f"{county.base}/{county.db(code)}")
    pushed = await sync.replicate(laptop, target)
    assert not pushed.denied

    async def arrived() -> dict[str, dict[str, Any]] | None:
        found = await _public_ids(county, code)
        docs = {k: v for k, v in found.items() if not k.startswith("_design/")}
        return docs if len(docs) >= 2 else None

    docs = await _until(arrived, "the public twins")
    assert {d["type"] for d in docs.values()} == {"public_village", "public_member"}
    for doc in docs.values():
        assert check_public(doc, code) is None
    assert "13800000000" not in repr(docs)

    # The secretary unticks nothing here but renames the village: the twin follows.
    await store.save_village(Village(code, "甲村（新）", "甲镇", "测试县"))
    again = await sync.replicate(laptop, target)
    assert again.counters.docs_written == 2 and not again.denied  # the record and its twin

    async def renamed() -> bool:
        found = await _public_ids(county, code)
        return any(d.get("name") == "甲村（新）" for d in found.values())

    await _until(renamed, "the renamed village")
    await laptop.close()


async def test_what_a_laptop_should_not_have_written_stays_out(county: County) -> None:
    """A broken or hostile laptop writes a twin with a phone number, a record, a design
    document into its village database: the public database takes none of them."""
    code = county.village_a
    author = county.accounts["secretary_a"]
    bad = [
        {"_id": f"public_member:{code}:{uuid.uuid4().hex}", "type": "public_member"}
        | {"village": code, "name": "林国强", "phone": "13800000000"},
        {"_id": f"member_private:{code}:{uuid.uuid4().hex}", "type": "member_private"}
        | {"village": code, "phone": "13800000000", "created_by": author}
        | {"created_at": "2026-11-01T08:00:00Z"},
    ]
    good = {"_id": f"public_member:{code}:{uuid.uuid4().hex}", "type": "public_member"} | {
        "village": code,
        "name": "王秀英",
    }
    async with httpx.AsyncClient(timeout=30) as client:
        for doc in [*bad, good]:
            url = f"{county.url}/{county.db(code)}/{doc['_id']}"
            assert (await client.put(url, json=doc)).status_code == 201

    async def good_arrived() -> bool:
        return good["_id"] in await _public_ids(county, code)

    await _until(good_arrived, "the good twin")
    found = await _public_ids(county, code)
    assert all(doc["_id"] not in found for doc in bad)
    assert "13800000000" not in repr(found)
    assert [k for k in found if k.startswith("_design/")] == ["_design/cunyi"]


async def _outcome(client: httpx.AsyncClient, url: str, doc: dict[str, Any]) -> str | None:
    response = await client.put(f"{url}/{doc['_id']}", json=doc)
    if response.status_code in (200, 201, 202):
        return None
    reason = str(response.json().get("reason", ""))
    assert response.status_code == 403, response.text
    return reason


def _retarget(doc: dict[str, Any], village: str) -> dict[str, Any]:
    """A test document for this county's village, under a fresh id."""
    docid = str(doc.get("_id", ""))
    out = {k: v for k, v in doc.items() if k not in ("_rev", "_revisions")}
    if docid.startswith("public_"):
        kind, _, _ = docid.split(":", 2)
        out["_id"] = f"{kind}:{village}:{uuid.uuid4().hex}"
    elif ":" in docid:
        kind = docid.split(":", 1)[0]
        out["_id"] = f"{kind}:{village}:{uuid.uuid4().hex}"
    if doc.get("village") == "990101001001":
        out["village"] = village
    return out


async def test_the_javascript_and_its_python_mirror_agree(county: County) -> None:
    code = county.village_a
    url = _as(county, "publisher", f"{county.base}/{county.public_db(code)}")
    cases = [d for d in ACCEPTED if not d.get("_deleted")]
    cases += [d for d, _ in REFUSED if not str(d.get("_id", "")).startswith("_")]
    async with httpx.AsyncClient(timeout=30) as client:
        for case in cases:
            doc = _retarget(case, code)
            if "_id" not in doc:
                continue
            refusal = check_public(doc, code)
            got = await _outcome(client, url, doc)
            assert got == (refusal.reason if refusal else None), doc


_SCALAR = st.one_of(st.none(), st.text(max_size=3), st.integers(-3, 3), st.booleans())


def _value(kind: Any) -> st.SearchStrategy[Any]:
    """A value of ``kind``, or now and then of another kind (which must be refused)."""
    if isinstance(kind, str):
        right = {
            "text": st.text(max_size=4),
            "int": st.integers(-5, 5),
            "flag": st.booleans(),
        }[kind]
        return st.one_of(right, right, st.none(), _SCALAR)
    if "object" in kind:
        return _fields(kind["object"])
    return st.lists(_fields(kind["list"]), max_size=2)


def _fields(fields: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.fixed_dictionaries({}, optional={k: _value(v) for k, v in fields.items()})
    stray = st.dictionaries(st.sampled_from(["phone", "names", "by_name", "id_card"]), _SCALAR)
    return st.one_of(known, known, known, st.builds(lambda a, b: {**a, **b}, known, stray))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_documents_get_the_same_answer_from_both(county: County, data: Any) -> None:
    doc_type = data.draw(st.sampled_from(PUBLIC_TYPES))
    body = data.draw(_fields(dict(PUBLIC_FIELDS[doc_type])))
    withdrawn = data.draw(st.sampled_from([None, True, False]))
    code = county.village_a
    doc = {"_id": f"{doc_type}:{code}:{uuid.uuid4().hex}", "type": doc_type, "village": code}
    doc |= body
    if withdrawn is not None:
        doc["withdrawn"] = withdrawn
    url = _as(county, "publisher", f"{county.base}/{county.public_db(code)}")

    async def run() -> str | None:
        async with httpx.AsyncClient(timeout=30) as client:
            return await _outcome(client, url, doc)

    refusal = check_public(doc, code)
    assert asyncio.run(run()) == (refusal.reason if refusal else None), doc


async def test_a_withdrawn_twin_replaces_what_was_public(county: County) -> None:
    """The selector passes withdrawn twins too: a withdrawal reaches the public database."""
    code = county.village_a
    docid = f"public_matter:{code}:{uuid.uuid4().hex}"
    twin = {"_id": docid, "type": "public_matter", "village": code, "title": "红榜"}
    url = f"{county.url}/{county.db(code)}/{docid}"
    async with httpx.AsyncClient(timeout=30) as client:
        rev = (await client.put(url, json=twin)).json()["rev"]

        async def shown() -> bool:
            doc = (await _public_ids(county, code)).get(docid)
            return bool(doc and doc.get("title") == "红榜")

        await _until(shown, "the twin")
        withdrawn = {"_id": docid, "_rev": rev, "type": "public_matter", "village": code}
        assert (await client.put(url, json={**withdrawn, "withdrawn": True})).status_code == 201

        async def gone() -> bool:
            doc = (await _public_ids(county, code)).get(docid)
            return bool(doc and doc.get("withdrawn") is True and "title" not in doc)

        await _until(gone, "the withdrawal")
