"""The CouchDB endpoint's own duties: URLs and credentials, error mapping, counters,
longpoll timeouts, the ``_bulk_get`` fallback, and what it normalises.

Most tests talk to the peer. The transport failures (a refused connection, a
server that never answers or hangs up, malformed or unexpected JSON, a 500)
cannot be had from a healthy server on demand, so :func:`broken_server` is a
few lines of raw socket server that misbehaves on purpose.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import pytest

from sync import open_database
from sync.couch import CouchDatabase, open_couch_database, selector_filter_supported
from sync.couch_http import CouchTransport, db_path, doc_path, split_url
from sync.couch_server import CouchServer
from sync.errors import (
    BadRequestError,
    DeadlineError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PeerError,
    UnauthorizedError,
)

VALIDATE = """function (newDoc, oldDoc, userCtx) {
  if (newDoc.bad) { throw({forbidden: "no bad documents here"}); }
  if (newDoc.anonymous) { throw({unauthorized: "say who you are"}); }
}"""


def host_of(url: str) -> str:
    return url.split("@")[-1]


@pytest.fixture
async def server(couch_url: str) -> AsyncIterator[CouchServer]:
    async with CouchServer(couch_url) as srv:
        yield srv


@pytest.fixture
def fresh_name(new_couch_db_name: Callable[..., str]) -> str:
    """A database name nobody uses; deleted afterwards if a test created it."""
    return new_couch_db_name()


# -- URLs and names -------------------------------------------------------
def test_url_parts_and_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUCHDB_USER", raising=False)
    address, name = split_url("http://ad%40min:p%3Ass%2Fw@127.0.0.1:5984/village_%24a")
    assert address.base == "http://127.0.0.1:5984"
    assert address.auth == ("ad@min", "p:ss/w")
    assert name == "village_$a"
    prefixed, name = split_url("https://couch.example.org/couch/db")
    assert prefixed.base == "https://couch.example.org/couch" and prefixed.auth is None
    assert db_path("a/b$c") == "/a%2Fb%24c"
    assert doc_path("_design/app") == "/_design/app"
    assert doc_path("_local/ck/1") == "/_local/ck%2F1"
    assert doc_path("person:v1/x y") == "/person%3Av1%2Fx%20y"
    monkeypatch.setenv("COUCHDB_USER", "envuser")
    monkeypatch.setenv("COUCHDB_PASSWORD", "envpass")
    assert split_url("http://127.0.0.1:5984/db")[0].auth == ("envuser", "envpass")
    assert split_url("http://u:p@127.0.0.1:5984/db")[0].auth == ("u", "p")
    with pytest.raises(BadRequestError):
        split_url("ftp://host/db")


def test_selector_filter_support_from_the_welcome() -> None:
    assert selector_filter_supported({"couchdb": "Welcome", "version": "3.3.3"})
    assert not selector_filter_supported({"couchdb": "Welcome", "version": "1.7.2"})
    assert not selector_filter_supported({"express-pouchdb": "Welcome!", "version": "4.2.0"})


async def test_open_creates_or_refuses(
    couch_url: str, fresh_name: str, server: CouchServer
) -> None:
    with pytest.raises(NotFoundError):
        await open_couch_database(f"{couch_url}/{fresh_name}", create=False)
    assert fresh_name not in await server.all_dbs()
    db = await open_database(f"{couch_url}/{fresh_name}")
    assert isinstance(db, CouchDatabase)
    async with db:
        assert db.location == f"http://{host_of(couch_url)}/{fresh_name}"
        assert (await db.info())["db_name"] == fresh_name
    again = await open_couch_database(f"{couch_url}/{fresh_name}", create=False)
    await again.close()
    with pytest.raises(BadRequestError):
        await open_couch_database(couch_url + "/")


async def test_name_with_reserved_characters(
    couch_url: str, server: CouchServer, new_couch_db_name: Callable[..., str]
) -> None:
    name = new_couch_db_name(suffix="$(x)+y-z")
    db = await open_couch_database(f"{couch_url}/{quote(name, safe='')}")
    try:
        assert db.name == name and "%24%28x%29%2By" in db.location
        await db.put({"_id": "a"})
        assert (await db.info())["doc_count"] == 1
        assert name in await server.all_dbs()
    finally:
        await db.close()
        await server.delete_db(name)


# -- credentials ----------------------------------------------------------
async def test_credentials_from_url_and_environment(
    couch_url: str,
    server: CouchServer,
    fresh_name: str,
    monkeypatch: pytest.MonkeyPatch,
    new_couch_user_name: Callable[[], str],
) -> None:
    user, password = new_couch_user_name(), "p@ss:w/rd 村"
    await server.create_user(user, password, ["village_v1"])
    await server.create_db(fresh_name)
    await server.put_security(
        fresh_name,
        {"admins": {"names": [], "roles": []}, "members": {"names": [user], "roles": []}},
    )
    assert (await server.get_security(fresh_name))["members"]["names"] == [user]
    host = host_of(couch_url)
    url = f"http://{quote(user)}:{quote(password, safe='')}@{host}/{fresh_name}"
    async with await open_couch_database(url, create=False) as db:
        assert (await db.put({"_id": "by-clerk"}))["ok"] is True
        assert password not in db.location and user not in db.location
    with pytest.raises(UnauthorizedError):
        await open_couch_database(f"http://{user}:wrong@{host}/{fresh_name}", create=False)
    monkeypatch.setenv("COUCHDB_USER", user)
    monkeypatch.setenv("COUCHDB_PASSWORD", password)
    async with await open_couch_database(f"http://{host}/{fresh_name}", create=False) as db:
        assert (await db.get("by-clerk"))["_id"] == "by-clerk"


# -- validate_doc_update --------------------------------------------------
async def test_validation_refusals_are_named(
    couch_url: str, server: CouchServer, fresh_name: str
) -> None:
    await server.create_db(fresh_name)
    await server.put_design(fresh_name, {"_id": "_design/rules", "validate_doc_update": VALIDATE})
    await server.put_design(fresh_name, {"_id": "_design/rules", "validate_doc_update": VALIDATE})
    async with await open_couch_database(f"{couch_url}/{fresh_name}") as db:
        with pytest.raises(ForbiddenError) as forbidden:
            await db.put({"_id": "x", "bad": True})
        assert forbidden.value.reason == "no bad documents here" and forbidden.value.docid == "x"
        with pytest.raises(UnauthorizedError):
            await db.put({"_id": "y", "anonymous": True})
        results = await db.bulk_docs([{"_id": "z", "bad": True}, {"_id": "ok"}])
        assert results[0] == {"id": "z", "error": "forbidden", "reason": "no bad documents here"}
        assert results[1]["ok"] is True
        assert [row["id"] for row in (await db.all_docs())["rows"]] == ["_design/rules", "ok"]


# -- counters, capabilities, normalisation ---------------------------------
async def test_stats_count_requests_and_bytes(make_db: Callable[[str], Any]) -> None:
    db: CouchDatabase = await make_db("couch")
    before = (db.stats.requests, db.stats.bytes_sent, db.stats.bytes_received)
    text = random.Random(3).randbytes(1000).hex()  # does not compress: 2,000 bytes either way
    await db.put({"_id": "a", "text": text})
    await db.get("a")
    assert db.stats.requests == before[0] + 2
    assert db.stats.bytes_sent >= before[1] + 1000
    assert db.stats.bytes_received >= before[2] + 1000


async def test_stats_count_the_bytes_on_the_wire(
    make_db: Callable[[str], Any], peer_is_pouchdb: bool
) -> None:
    if not peer_is_pouchdb:
        pytest.skip("needs a server that gzips JSON answers (pouchdb-server does)")
    db: CouchDatabase = await make_db("couch")
    text = "村民代表会议" * 2000  # 36 KB of JSON that gzips to a few hundred bytes
    await db.put({"_id": "a", "text": text})
    before = db.stats.bytes_received
    assert (await db.get("a"))["text"] == text
    assert db.stats.bytes_received - before < 5_000


async def test_large_bodies_travel_gzipped_and_arrive_whole(make_db: Callable[[str], Any]) -> None:
    db: CouchDatabase = await make_db("couch")
    docs = [
        {"_id": f"rec{i:04d}", "text": "村民代表会议决议：修缮村道。" * 20, "n": i}
        for i in range(200)
    ]
    plain = len(json.dumps({"docs": docs}, ensure_ascii=False).encode())
    sent_before = db.stats.bytes_sent
    results = await db.bulk_docs(docs)
    assert all(r.get("ok") for r in results)
    # Repetitive record JSON compresses far below its plain size on the wire.
    assert db.stats.bytes_sent - sent_before < plain / 5
    back = await db.all_docs(include_docs=True)
    assert [(r["doc"]["_id"], r["doc"]["text"], r["doc"]["n"]) for r in back["rows"]] == [
        (d["_id"], d["text"], d["n"]) for d in docs
    ]


async def test_selector_filter_never_reaches_a_server_without_it(
    make_db: Callable[[str], Any], peer_is_pouchdb: bool
) -> None:
    db: CouchDatabase = await make_db("couch")
    assert await db.supports_selector_filter() is (not peer_is_pouchdb)
    if peer_is_pouchdb:
        sent = db.stats.requests
        with pytest.raises(BadRequestError):
            await db.changes(selector={"type": "x"})
        assert db.stats.requests == sent


async def test_bulk_get_fallback_gives_the_same_answer(make_db: Callable[[str], Any]) -> None:
    db: CouchDatabase = await make_db("couch")
    first = await db.put({"_id": "a", "n": 1})
    await db.put({"_id": "a", "_rev": first["rev"], "n": 2})
    branch = "2-" + "f" * 32  # a conflicting leaf: a request without rev gives both leaves
    await db.bulk_docs(
        [
            {
                "_id": "a",
                "_rev": branch,
                "n": 3,
                "_revisions": {"start": 2, "ids": ["f" * 32, first["rev"].split("-", 1)[1]]},
            }
        ],
        new_edits=False,
    )
    requests = [
        {"id": "a"},
        {"id": "a", "rev": first["rev"]},
        {"id": "gone"},
        {"id": "a", "rev": "5-" + "0" * 32},
    ]
    native = await db.bulk_get(requests)
    db.bulk_get_supported = False
    assert await db.bulk_get(requests) == native
    assert native["results"][2]["docs"][0]["error"]["error"] == "not_found"
    assert len(native["results"][0]["docs"]) == 2
    assert native["results"][0]["docs"][1]["ok"]["_rev"] == branch


# -- longpoll -------------------------------------------------------------
async def test_longpoll_ends_empty_when_nothing_happens(make_db: Callable[[str], Any]) -> None:
    db: CouchDatabase = await make_db("couch")
    await db.put({"_id": "a"})
    last = (await db.changes())["last_seq"]
    db.longpoll_margin = 0.5  # pouchdb-server ignores timeout=: our own client timeout ends it
    feed = await db.changes(since=last, feed="longpoll", timeout=0.2)
    assert feed["results"] == []
    assert feed["last_seq"] is not None


async def test_longpoll_wakes_on_a_change(couch_url: str, make_db: Callable[[str], Any]) -> None:
    db: CouchDatabase = await make_db("couch")
    last = (await db.changes())["last_seq"]
    waiting = asyncio.create_task(db.changes(since=last, feed="longpoll", timeout=20))
    async with await open_couch_database(f"{couch_url}/{db.name}", create=False) as writer:
        await asyncio.sleep(0.2)
        await writer.put({"_id": "news"})
    feed = await waiting
    assert [row["id"] for row in feed["results"]] == ["news"]


# -- transport failures ---------------------------------------------------
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def broken_server(mode: str) -> AsyncIterator[CouchDatabase]:
    """A server on 127.0.0.1 that reads a request and then misbehaves as ``mode`` says."""
    answers = {
        "garbage": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{not json",
        "list": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
        "500": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
    }

    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if mode == "silent":
            await done.wait()
        elif mode in answers:
            writer.write(answers[mode])
            await writer.drain()
        writer.close()  # "hangup": close without any answer

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    address, _ = split_url(f"http://127.0.0.1:{port}/db")
    db = CouchDatabase(CouchTransport(address, timeout=0.5), "db")
    try:
        yield db
    finally:
        await db.close()
        done.set()
        srv.close()
        await srv.wait_closed()
        await asyncio.sleep(0)  # let the handlers finish


@pytest.mark.parametrize(
    ("mode", "error", "words"),
    [
        ("garbage", PeerError, "malformed JSON"),
        ("list", PeerError, "unexpected answer"),
        ("500", PeerError, "500"),
        # Whichever ends it first, the read timeout or the request's deadline: a
        # DeadlineError, a NetworkError that a longpoll takes for "nothing happened".
        ("silent", DeadlineError, "answer in time"),
        ("hangup", NetworkError, "RemoteProtocolError"),
    ],
)
async def test_broken_servers_give_named_errors(
    mode: str, error: type[Exception], words: str
) -> None:
    async with broken_server(mode) as db:
        with pytest.raises(error) as raised:
            await db.info()
        assert type(raised.value) is error and words in str(raised.value)


async def test_refused_connection_is_a_network_error() -> None:
    with pytest.raises(NetworkError):
        await open_couch_database(f"http://127.0.0.1:{unused_port()}/db")
