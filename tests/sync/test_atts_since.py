"""Attachments the target already has are not sent again (``atts_since``).

A scan added to a record that already holds two: the next push sends the new scan,
not all three. ``_revs_diff`` names the revisions the target holds
(``possible_ancestors``); the source, asked with ``atts_since``, gives the older
attachments as stubs, and the target takes them from the revision it holds. A stub the
target cannot match is fetched again whole and written, as CouchDB's replicator does.
"""

from __future__ import annotations

import base64

import pytest
from replication_helpers import MakeDb, _history_doc, attachment, snapshot

from sync import replicate
from sync.couch import CouchDatabase
from sync.database import Database

SCAN = 300_000

#: (source, target). A later revision is written to the target with stubs in every pair.
PAIRS = [("embedded", "couch"), ("embedded", "embedded"), ("couch", "embedded")]


async def _sent(db: Database) -> int:
    return db.stats.bytes_sent if isinstance(db, CouchDatabase) else 0


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS, ids=lambda k: k)
async def test_a_scan_added_later_sends_only_the_new_scan(
    make_db: MakeDb, source_kind: str, target_kind: str, peer_is_pouchdb: bool
) -> None:
    source = await make_db(source_kind)
    target = await make_db(target_kind)
    await source.put(
        {
            "_id": "evidence:minutes",
            "kind": "scan",
            "_attachments": {"p1.jpg": attachment(SCAN, 1), "p2.jpg": attachment(SCAN, 2)},
        }
    )
    first = await replicate(source, target)
    assert first.counters.attachments_written == 2

    doc = await source.get("evidence:minutes")
    doc["_attachments"]["p3.jpg"] = attachment(10_000, 3)
    doc["pages"] = 3
    await source.put(doc)
    sent_before = await _sent(target)
    second = await replicate(source, target)

    assert second.counters.docs_written == 1
    # Every page on the target, byte for byte, under the same revision and history.
    assert await snapshot(target) == await snapshot(source)
    got = await target.get("evidence:minutes", attachments=True)
    assert set(got["_attachments"]) == {"p1.jpg", "p2.jpg", "p3.jpg"}
    for name, seed, size in (("p1.jpg", 1, SCAN), ("p2.jpg", 2, SCAN), ("p3.jpg", 3, 10_000)):
        assert got["_attachments"][name]["data"] == attachment(size, seed)["data"]
    if source_kind == "couch" and peer_is_pouchdb:
        # pouchdb-server's _bulk_get ignores atts_since: all three pages come with data.
        assert second.counters.attachments_written == 3
        return
    assert second.counters.attachments_written == 1
    if isinstance(target, CouchDatabase):
        # The new page (10 KB, base64) and the record, not the 600 KB already there.
        assert await _sent(target) - sent_before < 60_000


@pytest.mark.parametrize("target_kind", ["embedded", "couch"])
async def test_a_stub_the_target_cannot_match_is_sent_whole(
    make_db: MakeDb, target_kind: str
) -> None:
    # The target holds 1-a and 2-b of a record, without the page that the source's 3-c
    # (written elsewhere with a history naming them) says came at generation 1. A stub
    # for it cannot be matched: the write is refused (412) and must be done again whole.
    source = await make_db("embedded")
    target = await make_db(target_kind)
    page = attachment(5_000, 9)
    await target.bulk_docs(
        [_history_doc("evidence:odd", ["a", "b"], {"kind": "scan"})], new_edits=False
    )
    leaf = _history_doc("evidence:odd", ["a", "b", "c"], {"kind": "scan", "pages": 1})
    leaf["_attachments"] = {"page.jpg": {**page, "revpos": 1}}
    await source.bulk_docs([leaf], new_edits=False)

    done = await replicate(source, target)

    assert done.counters.docs_written == 1 and not done.denied
    got = await target.get("evidence:odd", attachments=True)
    assert got["_rev"] == leaf["_rev"]
    assert base64.b64decode(got["_attachments"]["page.jpg"]["data"]) == base64.b64decode(
        page["data"]
    )
