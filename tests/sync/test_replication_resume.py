"""Resume after a crash: a replication killed with SIGKILL mid-way, then run again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from replication_helpers import MakeDb, settled_doc_count

from sync import replicate
from sync.replication import ReplicationOptions, State
from sync.replication.batch import UNRECORDED_BATCHES

ROOT = Path(__file__).resolve().parents[2]
DOCS = 5_000
BATCH = 100
#: What a crash may re-send: the batches started and not yet checkpointed.
IN_FLIGHT = UNRECORDED_BATCHES * ReplicationOptions().workers

# The child replicates and reports each checkpointed batch on stdout.
CHILD = """
import asyncio, sys
from sync import replicate

async def report(event):
    if event.kind == "change":
        print("batch", event.counters.batches, event.counters.docs_written, flush=True)

asyncio.run(replicate(sys.argv[1], sys.argv[2], batch_size=int(sys.argv[3]), on_event=report).wait())
"""


@pytest.mark.slow
async def test_sigkilled_replication_resumes_and_resends_only_what_was_in_flight(
    make_db: MakeDb, couch_url: str
) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    await laptop.bulk_docs(
        [{"_id": f"record:{i:05}", "i": i, "pad": "x" * 200} for i in range(DOCS)]
    )
    county_url = f"{couch_url}/{county.name}"

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        laptop.location,
        county_url,
        str(BATCH),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    batches = 0
    while batches < 10:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line, "the child ended before it was killed"
        batches = int(line.split()[1])
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert child.returncode == -signal.SIGKILL

    copied = await settled_doc_count(county)
    assert 0 < copied < DOCS, "killed mid-way"

    rerun = await replicate(laptop, county_url, batch_size=BATCH)

    assert rerun.state is State.COMPLETE
    left = DOCS - copied
    # Nothing written twice, nothing fetched twice...
    assert rerun.counters.docs_written == rerun.counters.docs_read == left
    # ...and the changes read again (already copied, not yet checkpointed) are at most the
    # batches that were in flight; revs_diff found them there, so only their ids and
    # revisions were sent again, no bodies.
    resent = rerun.counters.changes_read - left
    assert 0 <= resent <= IN_FLIGHT * BATCH
    assert rerun.counters.missing_checked - rerun.counters.missing_found == resent
    print(
        f"killed after {copied} docs; the rerun asked about {resent} changes already copied "
        f"({resent / BATCH:.1f} batches; at most {IN_FLIGHT}) and sent their ids alone"
    )
    mine = {r["id"]: r["value"]["rev"] for r in (await laptop.all_docs())["rows"]}
    theirs = {r["id"]: r["value"]["rev"] for r in (await county.all_docs())["rows"]}
    assert mine == theirs and len(mine) == DOCS
