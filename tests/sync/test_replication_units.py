"""The replication parts that need no database: ids, log comparison, back-off, options."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import random

import pytest

from sync.couch_multipart import multipart_related, sent_as_multipart
from sync.errors import (
    AnswerTooLargeError,
    BadRequestError,
    DeadlineError,
    NetworkError,
    PeerError,
    UnauthorizedError,
    peer_text,
)
from sync.replication import MalformedAnswerError, ReplicationOptions, replication_id
from sync.replication.backoff import Backoff, is_transient
from sync.replication.checkpoint import common_seq
from sync.replication.options import public_location

SRC = "http://admin:secret@county.example:5984/village_110"
TGT = "/data/village_110.sqlite"


def rid(source: str = SRC, target: str = TGT, **opts: object) -> str:
    return replication_id(source, target, ReplicationOptions.build(**opts))


def test_replication_id_is_stable_and_ignores_credentials_and_pace() -> None:
    assert rid() == rid()
    assert rid() == rid("http://other:pw@county.example:5984/village_110")
    assert rid() == rid(batch_size=7, continuous=True)
    assert len(rid()) == 32 and int(rid(), 16) >= 0


def test_replication_id_depends_on_what_flows() -> None:
    assert rid() != rid(TGT, SRC)
    assert rid() != rid(target="/data/other.sqlite")
    assert rid(doc_ids=["a", "b"]) == rid(doc_ids=["b", "a"]) != rid()
    assert rid(selector={"a": 1, "b": 2}) == rid(selector={"b": 2, "a": 1})
    assert rid(selector={"published": True}) != rid(selector={"published": False})


def test_public_location_drops_the_password() -> None:
    assert public_location(SRC) == "http://county.example:5984/village_110"
    assert public_location(TGT) == TGT


def log(session: str, seq: object, *history: tuple[str, object]) -> dict[str, object]:
    return {
        "session_id": session,
        "source_last_seq": seq,
        "history": [{"session_id": s, "recorded_seq": q} for s, q in history],
    }


def test_common_seq_follows_couchdb() -> None:
    # No log on one side: start over.
    assert common_seq(None, log("s1", "9-x", ("s1", "9-x"))) == 0
    # Same session (a run that died between its two writes): the target's, written first.
    assert common_seq(log("s2", "8-x", ("s2", "8-x")), log("s2", "9-x", ("s2", "9-x"))) == "9-x"
    # Different latest sessions: the newest session both histories share.
    source = log("s3", "30", ("s3", "30"), ("s2", "20"), ("s1", "10"))
    target = log("s4", "40", ("s4", "40"), ("s2", "20"), ("s1", "10"))
    assert common_seq(source, target) == "20"
    # Nothing shared: start over.
    assert common_seq(log("a", 5, ("a", 5)), log("b", 6, ("b", 6))) == 0


def test_backoff_grows_capped_and_jittered() -> None:
    backoff = Backoff(0.5, 4.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    caps = [min(4.0, 0.5 * 2**n) for n in range(8)]
    assert all(cap / 10 <= d <= cap for d, cap in zip(delays, caps, strict=True))
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_what_is_retried() -> None:
    assert is_transient(NetworkError("connection reset"))
    # A peer that never finished its answer may finish the next; one too large will not.
    assert is_transient(DeadlineError("GET http://x/db/_changes: no complete answer in time"))
    assert not is_transient(AnswerTooLargeError("GET http://x/db/_changes: answer too large"))
    assert is_transient(PeerError("GET http://x/db answered 503: busy", http_status=503))
    assert not is_transient(PeerError("POST http://x/db answered 501: no", http_status=501))
    # CouchDB 3 sheds load with 429; its own replicator backs off and tries again.
    assert is_transient(
        PeerError("POST http://x/db answered 429: too_many_requests", http_status=429)
    )
    assert is_transient(PeerError("POST http://x/db answered 408: timeout", http_status=408))
    assert not is_transient(PeerError("GET http://x/db: malformed JSON in the answer"))
    assert not is_transient(MalformedAnswerError("malformed answer from x to _revs_diff"))
    assert not is_transient(UnauthorizedError("wrong credentials for x"))


def test_options_are_checked() -> None:
    with pytest.raises(BadRequestError):
        ReplicationOptions.build(batch_size=0)
    with pytest.raises(BadRequestError):
        ReplicationOptions.build(doc_ids="abc")
    with pytest.raises(BadRequestError):
        ReplicationOptions.build(filter="app/by_type")
    assert ReplicationOptions.build(continuous=True).retries is None
    assert ReplicationOptions.build().retries == 8


async def test_a_replication_shows_no_password() -> None:
    from sync import replicate, sync

    rep = replicate(SRC, TGT)
    both = sync(TGT, SRC)
    for shown in (repr(rep), str(rep), repr(both.push), repr(both.pull)):
        assert "secret" not in shown and "county.example:5984/village_110" in shown


def test_bulk_docs_requests_are_cut_by_the_bytes_of_the_documents() -> None:
    from sync.couch import _byte_groups
    from sync.couch_shapes import json_param

    # Ten documents of about 300 KB of text each and no attachment: 3 MB in one
    # _bulk_docs unless the bodies count.
    big = [
        json_param({"_id": f"d{i}", "_rev": f"1-{i:032x}", "text": "村" * 100_000}).encode()
        for i in range(10)
    ]
    assert len(big[0]) > 300_000  # UTF-8 bytes: 3 per character here
    groups = _byte_groups(big, 1_000_000)
    assert [len(g) for g in groups] == [3, 3, 3, 1]
    assert [part for g in groups for part in g] == big
    assert all(sum(map(len, g)) + len(g) <= 1_000_000 for g in groups)
    # Small documents still travel together; one document over the limit goes alone.
    small = [json_param({"_id": f"s{i}", "n": i}).encode() for i in range(100)]
    assert len(_byte_groups(small, 1_000_000)) == 1
    mixed = [*small[:2], big[0], *small[2:4]]
    assert [len(g) for g in _byte_groups(mixed, 200_000)] == [2, 1, 2]
    assert _byte_groups([], 1_000) == []


def test_what_a_peer_said_is_printed_without_escapes_and_bounded() -> None:
    said = "\x1b[2J\x1b[31m村议\x07 refused\x1b]0;title\x07\u202e\r\nnext" + "x" * 1000
    shown = peer_text(said, 40)
    assert shown.startswith("村议 refused  next") and shown.endswith("…") and len(shown) == 40
    assert peer_text("plain reason") == "plain reason"
    assert peer_text(None) == "None"


def test_a_first_revision_with_attachments_goes_as_multipart_related() -> None:
    photo, text = bytes(range(256)) * 40, "村务公开".encode()
    doc = {
        "_id": "evidence:1",
        "_rev": "1-abc",
        "_revisions": {"start": 1, "ids": ["abc"]},
        "_attachments": {
            "photo.jpg": {
                "content_type": "image/jpeg",
                "digest": "md5-x",
                "revpos": 1,
                "encoding": "gzip",
                "data": base64.b64encode(photo).decode(),
            },
            "kept.txt": {"stub": True, "content_type": "text/plain", "digest": "md5-y"},
            "说明.txt": {"content_type": "text/plain", "data": base64.b64encode(text).decode()},
        },
    }
    assert sent_as_multipart(doc)
    assert not sent_as_multipart({**doc, "_rev": "2-def"})  # see sent_as_multipart
    assert not sent_as_multipart({"_id": "a", "_rev": "1-a", "_attachments": {"k": {"stub": True}}})

    content_type, body = multipart_related(doc)
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body,
        policy=email.policy.HTTP,
    )
    parts = list(message.iter_parts())
    head = json.loads(parts[0].get_content())
    # The stubs in the JSON, the bytes in the parts that follow, in the stubs' order.
    assert head["_revisions"] == doc["_revisions"]
    assert head["_attachments"] == {
        "photo.jpg": {
            "content_type": "image/jpeg",
            "digest": "md5-x",
            "revpos": 1,
            "follows": True,
            "length": len(photo),
        },
        "kept.txt": {"stub": True, "content_type": "text/plain", "digest": "md5-y"},
        "说明.txt": {"content_type": "text/plain", "follows": True, "length": len(text)},
    }
    assert [p.get_content_type() for p in parts[1:]] == ["image/jpeg", "text/plain"]
    assert [p.get_payload(decode=True) for p in parts[1:]] == [photo, text]
    assert parts[1].get_filename() == "photo.jpg"


async def test_a_revision_refused_again_is_one_refusal() -> None:
    # A batch written again after a cut link meets the same validate_doc_update refusal.
    from sync import replicate
    from sync.replication import Denial, ReplicationEvent

    events: list[ReplicationEvent] = []

    async def seen(event: ReplicationEvent) -> None:
        events.append(event)

    rep = replicate("a.sqlite", "b.sqlite", on_event=seen)
    first = Denial("matter:1", "1-a", "forbidden", "author: not yours")
    await rep.deny(first)
    await rep.deny(Denial("matter:1", "1-a", "forbidden", "author: not yours"))
    await rep.deny(Denial("matter:1", "2-b", "forbidden", "author: not yours"))
    assert [(d.docid, d.rev) for d in rep.denied] == [("matter:1", "1-a"), ("matter:1", "2-b")]
    assert rep.counters.docs_denied == 2
    assert [e.kind for e in events] == ["denied", "denied"]
