"""``since_seq`` (CouchDB's: where to start when no checkpoint says otherwise) and the count
of attachments written, over every pair of stores."""

from __future__ import annotations

import base64

import pytest
from replication_helpers import MakeDb

from sync import replicate

PAIRS = [(s, t) for s in ("embedded", "couch") for t in ("embedded", "couch")]


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS, ids=lambda k: k)
async def test_since_seq_starts_there_unless_a_checkpoint_says_otherwise(
    make_db: MakeDb, source_kind: str, target_kind: str
) -> None:
    source = await make_db(source_kind)
    await source.bulk_docs([{"_id": f"old{i}", "n": i} for i in range(5)])
    since = (await source.changes())["last_seq"]
    scan = base64.b64encode(b"signed sheet" * 50).decode()
    await source.bulk_docs(
        [
            {
                "_id": "new0",
                "n": 5,
                "_attachments": {"a.png": {"content_type": "image/png", "data": scan}},
            },
            {"_id": "new1", "n": 6},
        ]
    )

    target = await make_db(target_kind)
    first = await replicate(source, target, since_seq=since)
    assert sorted(r["id"] for r in (await target.all_docs())["rows"]) == ["new0", "new1"]
    assert first.counters.docs_written == 2
    assert first.counters.attachments_written == 1

    # A rerun goes by its checkpoint (nothing new), not by since_seq.
    await source.bulk_docs([{"_id": "new2", "n": 7}])
    again = await replicate(source, target, since_seq=since)
    assert again.counters.docs_written == 1 and again.counters.attachments_written == 0
    assert len((await target.all_docs())["rows"]) == 3
