"""Who can do what on the county CouchDB, for every role × every operation.

The county is provisioned by ``county init`` (security and ``validate_doc_update``) and the
accounts by ``county user add``'s code; each operation is then done over HTTP with that
account's credentials, as a laptop, a reviewer or a kiosk would, and its outcome compared with
the one table below. Outcomes: ``ok``; ``denied`` (the database will not open: 401/403
without one of our rule codes); or the rule code CouchDB's ``validate_doc_update`` refused
with (``evidence_changed``...), which the field app's mirror must give too.

Runs against the test peer (pouchdb-server, with pouchdb-security and pouchdb-validation)
and, with ``COUCHDB_URL`` set, against Apache CouchDB 3.x unchanged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup

import sync
from county.provisioned import PASSWORD, County, provision
from sync.errors import ForbiddenError, UnauthorizedError
from village_app.domain.publicity import DocType
from village_app.domain.write_rules import REASONS, RULES, Writer, check_write

pytestmark = pytest.mark.peer

ROLES = ("secretary_a", "secretary_b", "township_a", "county", "kiosk_a", "publisher", "anonymous")
#: What a public database's validate_doc_update refuses with (validate_public.js).
PUBLIC_CODES = frozenset(
    {"readers_only", "field", "kind", "type", "village", "id", "withdrawn", "design"}
)
VILLAGE_TYPES = [str(t) for t in RULES["village_types"]]


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    async for provisioned in provision(couch_url, peer_cleanup):
        yield provisioned


def _doc(doc_type: str, village: str, author: str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"{doc_type}:{village}:{uuid.uuid4().hex}",
        "type": doc_type,
        "village": village,
        "created_at": "2026-11-01T08:00:00Z",
        "created_by": author,
        **fields,
    }


def _outcome(response: httpx.Response) -> str:
    if response.is_success:
        return "ok"
    try:
        body = response.json()
    except ValueError:
        body = {}
    reason = str(body.get("reason", "")) if isinstance(body, dict) else ""
    code = reason.split(":", 1)[0]
    if response.status_code in (401, 403):
        return code if code in REASONS or code in PUBLIC_CODES else "denied"
    return f"HTTP {response.status_code}: {reason}"


class Actor:
    def __init__(
        self, county: County, role: str, client: httpx.AsyncClient, admin: httpx.AsyncClient
    ) -> None:
        """``client`` sends this role's requests; ``admin`` reads what they act on."""
        self.county, self.role, self.client, self.admin = county, role, client, admin
        self.name = county.accounts.get(role, "")
        password = county.publisher.password if role == "publisher" else PASSWORD
        self.auth = None if role == "anonymous" else (self.name, password)

    def url(self, code: str, path: str = "") -> str:
        return f"{self.county.base}/{self.county.db(code)}{path}"

    def public_url(self, code: str, path: str = "") -> str:
        return f"{self.county.base}/{self.county.public_db(code)}{path}"

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.auth is not None:
            kwargs["auth"] = self.auth
        return await self.client.request(method, url, **kwargs)


async def _seed(county: County, client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """What the operations act on, written by the administrator for the village's secretary
    (an administrator may write on someone's behalf, as a USB bundle's import does)."""
    author = county.accounts["secretary_a"]
    seeds = {
        "matter": _doc("matter", county.village_a, author, title="修村道"),
        "record": _doc("stage_record", county.village_a, author, text="会议记录", sensitive=False),
        "supervision": _doc("supervision", county.village_a, author, text="已核查"),
        "matter_b": _doc("matter", county.village_b, county.accounts["secretary_b"], title="乙"),
    }
    for key, doc in seeds.items():
        code = county.village_b if key == "matter_b" else county.village_a
        response = await client.put(f"{county.url}/{county.db(code)}/{doc['_id']}", json=doc)
        assert response.status_code == 201, response.text
    # What the public databases hold: a public twin in each (the administrator writes them
    # here; the publishing job copies them in the county).
    for key, code in (("public", county.village_a), ("public_b", county.village_b)):
        seeds[key] = _public_twin(code)
        url = f"{county.url}/{county.public_db(code)}/{seeds[key]['_id']}"
        response = await client.put(url, json=seeds[key])
        assert response.status_code == 201, response.text
    return seeds


def _public_twin(village: str, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"public_matter:{village}:{uuid.uuid4().hex}",
        "type": "public_matter",
        "village": village,
        "title": "修村道",
        **fields,
    }


async def _replicate_out(actor: Actor, tmp: Path) -> str:
    source = _with_credentials(actor, actor.url(actor.county.village_a))
    target = await sync.open_database(str(tmp / f"out-{actor.role}.sqlite"))
    try:
        rep = await sync.replicate(source, target)
    except (UnauthorizedError, ForbiddenError):
        return "denied"
    finally:
        await target.close()
    return "ok" if rep.counters.docs_written >= 3 else f"only {rep.counters.docs_written} docs"


async def _replicate_in(actor: Actor, tmp: Path) -> str:
    laptop = await sync.open_database(str(tmp / f"in-{actor.role}.sqlite"))
    author = actor.county.accounts["secretary_a"]
    await laptop.bulk_docs(
        [
            _doc("matter", actor.county.village_a, author, title="修水渠"),
            _doc("stage_record", actor.county.village_a, author, text="提议"),
        ]
    )
    target = _with_credentials(actor, actor.url(actor.county.village_a))
    try:
        rep = await sync.replicate(laptop, target)
    except (UnauthorizedError, ForbiddenError):
        return "denied"
    finally:
        await laptop.close()
    if rep.denied:
        codes = {d.reason.split(":", 1)[0] for d in rep.denied}
        return ",".join(sorted(codes))
    return "ok" if rep.counters.docs_written == 2 else f"{rep.counters.docs_written} written"


def _with_credentials(actor: Actor, url: str) -> str:
    if actor.auth is None:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{actor.auth[0]}:{actor.auth[1]}@{rest}"


Operation = Callable[[Actor, dict[str, dict[str, Any]], Path], Awaitable[str]]


def _operations() -> dict[str, Operation]:
    async def read(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return _outcome(
            await actor.send("GET", actor.url(actor.county.village_a, "/" + seeds["matter"]["_id"]))
        )

    async def read_other(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return _outcome(
            await actor.send(
                "GET", actor.url(actor.county.village_b, "/" + seeds["matter_b"]["_id"])
            )
        )

    async def all_docs(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return _outcome(await actor.send("GET", actor.url(actor.county.village_a, "/_all_docs")))

    async def changes(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return _outcome(await actor.send("GET", actor.url(actor.county.village_a, "/_changes")))

    def write(doc_type: str) -> Operation:
        async def op(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
            doc = _doc(doc_type, actor.county.village_a, actor.name)
            return _outcome(
                await actor.send(
                    "PUT", actor.url(actor.county.village_a, "/" + doc["_id"]), json=doc
                )
            )

        return op

    def edit(key: str, change: dict[str, Any]) -> Operation:
        async def op(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
            admin = await actor.admin.get(
                f"{actor.county.url}/{actor.county.db(actor.county.village_a)}/{seeds[key]['_id']}"
            )
            current = admin.json()
            return _outcome(
                await actor.send(
                    "PUT",
                    actor.url(actor.county.village_a, "/" + current["_id"]),
                    json={**current, **change},
                )
            )

        return op

    async def add_scan(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        docid = seeds["record"]["_id"]
        admin = await actor.admin.get(
            f"{actor.county.url}/{actor.county.db(actor.county.village_a)}/{docid}"
        )
        return _outcome(
            await actor.send(
                "PUT",
                actor.url(actor.county.village_a, f"/{docid}/scan-{uuid.uuid4().hex[:6]}.png"),
                params={"rev": admin.json()["_rev"]},
                content=b"\x89PNG signed sheet",
                headers={"Content-Type": "image/png"},
            )
        )

    async def delete_evidence(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        admin = await actor.admin.get(
            f"{actor.county.url}/{actor.county.db(actor.county.village_a)}/{seeds['supervision']['_id']}"
        )
        rev = admin.json()["_rev"]
        return _outcome(
            await actor.send(
                "DELETE",
                actor.url(actor.county.village_a, f"/{seeds['supervision']['_id']}"),
                params={"rev": rev},
            )
        )

    async def other_village(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        doc = _doc("matter", actor.county.village_b, actor.name)
        return _outcome(
            await actor.send("PUT", actor.url(actor.county.village_a, "/" + doc["_id"]), json=doc)
        )

    async def impersonate(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        doc = _doc("matter", actor.county.village_a, "someone-else")
        return _outcome(
            await actor.send("PUT", actor.url(actor.county.village_a, "/" + doc["_id"]), json=doc)
        )

    async def design(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        outcome = _outcome(
            await actor.send(
                "PUT", actor.url(actor.county.village_a, "/_design/mine"), json={"views": {}}
            )
        )
        # CouchDB refuses a non-admin's design document before validation runs; the peer
        # runs validation first. Either way it is not written.
        return "denied" if outcome == "design_documents" else outcome

    async def replicate_out(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return await _replicate_out(actor, tmp)

    async def replicate_in(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
        return await _replicate_in(actor, tmp)

    def public(key: str, path: str) -> Operation:
        async def op(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
            code = actor.county.village_b if key == "public_b" else actor.county.village_a
            where = path.replace("{id}", seeds[key]["_id"])
            return _outcome(await actor.send("GET", actor.public_url(code, where)))

        return op

    def write_public(**fields: Any) -> Operation:
        async def op(actor: Actor, seeds: dict[str, dict[str, Any]], tmp: Path) -> str:
            doc = _public_twin(actor.county.village_a, **fields)
            url = actor.public_url(actor.county.village_a, "/" + doc["_id"])
            return _outcome(await actor.send("PUT", url, json=doc))

        return op

    return {
        "read": read,
        "read_other_village": read_other,
        "all_docs": all_docs,
        "changes": changes,
        **{f"write {t}": write(t) for t in VILLAGE_TYPES},
        "write review": write(DocType.REVIEW),
        "edit evidence": edit("record", {"text": "改过的记录"}),
        "edit evidence flags": edit("record", {"sensitive": True}),
        "edit evidence author": edit("record", {"created_by": "someone-else", "sensitive": False}),
        "delete evidence": delete_evidence,
        "add a scan to evidence": add_scan,
        "edit matter": edit("matter", {"title": "修村道（改）"}),
        "edit matter village": edit("matter", {"village": "000000000000"}),
        "write for another village": other_village,
        "write as someone else": impersonate,
        "write design document": design,
        "replicate out": replicate_out,
        "replicate in": replicate_in,
        # The village's public database, which its kiosk reads.
        "read public": public("public", "/{id}"),
        "public _all_docs": public("public", "/_all_docs"),
        "public _changes": public("public", "/_changes"),
        "read other village's public": public("public_b", "/{id}"),
        "write public twin": write_public(),
        "write public with a phone": write_public(phone="13800000000"),
        "write public record with names": write_public(
            stages=[{"stage": "resolution", "by_name": [["林国强", "for"]]}]
        ),
    }


def _expected() -> dict[tuple[str, str], str]:
    ops = list(_operations())
    table: dict[tuple[str, str], str] = {}
    reviewer = {
        "read": "ok",
        "read_other_village": "denied",
        "all_docs": "ok",
        "changes": "ok",
        **{f"write {t}": "village_writes_only" for t in VILLAGE_TYPES},
        "write review": "ok",
        "edit evidence": "village_writes_only",
        "edit evidence flags": "village_writes_only",
        "edit evidence author": "village_writes_only",
        "delete evidence": "evidence_deleted",
        "add a scan to evidence": "village_writes_only",
        "edit matter": "village_writes_only",
        "edit matter village": "village_scope",
        "write for another village": "village_scope",
        "write as someone else": "village_writes_only",
        "write design document": "denied",
        "replicate out": "ok",
        "replicate in": "village_writes_only",
    }
    public_ops = [
        "read public",
        "public _all_docs",
        "public _changes",
        "read other village's public",
        "write public twin",
        "write public with a phone",
        "write public record with names",
    ]
    no_public = {op: "denied" for op in public_ops}
    # Reviewers read their villages' public databases; nobody but the publishing job writes.
    reads_public = {
        "read public": "ok",
        "public _all_docs": "ok",
        "public _changes": "ok",
        "read other village's public": "denied",
        "write public twin": "readers_only",
        "write public with a phone": "readers_only",
        "write public record with names": "readers_only",
    }
    reviewer |= reads_public
    expected: dict[str, dict[str, str]] = {
        "secretary_a": {
            "read": "ok",
            "read_other_village": "denied",
            "all_docs": "ok",
            "changes": "ok",
            **{f"write {t}": "ok" for t in VILLAGE_TYPES},
            "write review": "county_writes_only",
            "edit evidence": "evidence_changed",
            "edit evidence flags": "ok",
            "edit evidence author": "identity",
            "delete evidence": "evidence_deleted",
            "add a scan to evidence": "ok",
            "edit matter": "ok",
            "edit matter village": "village_scope",
            "write for another village": "village_scope",
            "write as someone else": "author",
            "write design document": "denied",
            "replicate out": "ok",
            "replicate in": "ok",
        }
        | no_public,  # the laptop never needs the kiosk's database
        # Another village's secretary, a kiosk and anyone anonymous cannot open the database.
        "secretary_b": {op: "denied" for op in ops} | {"read_other_village": "ok"},
        "township_a": reviewer,
        "county": reviewer | {"read_other_village": "ok", "read other village's public": "ok"},
        # The kiosk reads its village's public database and nothing else.
        "kiosk_a": {op: "denied" for op in ops} | reads_public,
        # The publishing job reads every village's records and writes only what the public
        # databases' allow-list passes.
        "publisher": reviewer
        | {
            "read_other_village": "ok",
            "write review": "county_writes_only",
            "read other village's public": "ok",
            "write public twin": "ok",
            "write public with a phone": "field",
            "write public record with names": "field",
        },
        "anonymous": {op: "denied" for op in ops},
    }
    for role, row in expected.items():
        assert set(row) == set(ops), role
        for op, outcome in row.items():
            table[role, op] = outcome
    return table


async def test_every_role_can_do_exactly_what_it_should(county: County, tmp_path: Path) -> None:
    operations = _operations()
    actual: dict[tuple[str, str], str] = {}
    async with (
        httpx.AsyncClient(auth=_admin_auth(county), timeout=30) as admin,
        httpx.AsyncClient(timeout=30) as client,
    ):
        seeds = await _seed(county, admin)
        for role in ROLES:
            actor = Actor(county, role, client, admin)
            for op, run in operations.items():
                actual[role, op] = await run(actor, seeds, tmp_path)
    expected = _expected()
    wrong = {key: (actual[key], want) for key, want in expected.items() if actual[key] != want}
    assert not wrong, "\n".join(
        f"{r} / {op}: got {got}, want {want}" for (r, op), (got, want) in wrong.items()
    )


def _admin_auth(county: County) -> tuple[str, str]:
    from sync.couch_http import split_url

    address, _ = split_url(county.url, with_db=False)
    assert address.auth is not None, "the tests' server URL carries the administrator"
    return address.auth


def test_the_python_mirror_gives_the_same_table() -> None:
    """The laptop's mirror refuses what the table says CouchDB refuses, for the writes
    (reads and replication are CouchDB's own)."""
    village, other = "990101001001", "990101002001"
    secretary = Writer.secretary("sec", village)
    reviewer = Writer("rev", ("township_990101001",))
    record = _doc("stage_record", village, "sec", text="记录", sensitive=False)
    matter = _doc("matter", village, "sec", title="t")
    cases = {
        ("secretary", "edit evidence"): (
            secretary,
            {**record, "text": "x"},
            record,
            "evidence_changed",
        ),
        ("secretary", "edit flags"): (secretary, {**record, "sensitive": True}, record, None),
        ("secretary", "review"): (
            secretary,
            _doc("review", village, "sec"),
            None,
            "county_writes_only",
        ),
        ("secretary", "other village"): (
            secretary,
            _doc("matter", other, "sec"),
            None,
            "village_scope",
        ),
        ("secretary", "someone else"): (secretary, _doc("matter", village, "x"), None, "author"),
        ("secretary", "edit matter"): (secretary, {**matter, "title": "u"}, matter, None),
        ("secretary", "delete evidence"): (
            secretary,
            {"_id": record["_id"], "_deleted": True},
            record,
            "evidence_deleted",
        ),
        ("reviewer", "review"): (reviewer, _doc("review", village, "rev"), None, None),
        ("reviewer", "matter"): (
            reviewer,
            _doc("matter", village, "rev"),
            None,
            "village_writes_only",
        ),
        ("reviewer", "other township"): (
            Writer("r", ("township_990101002",)),
            _doc("review", village, "r"),
            None,
            "county_writes_only",
        ),
        ("anyone", "unknown type"): (
            secretary,
            _doc("gossip", village, "sec"),
            None,
            "unknown_type",
        ),
    }
    for key, (writer, new, old, want) in cases.items():
        refusal = check_write(new, old, writer, village)
        assert (refusal.code if refusal else None) == want, key
