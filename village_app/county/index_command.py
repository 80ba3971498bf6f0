"""``village-app county index``: the county indexer from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from sync.errors import CouchError, NetworkError, UnauthorizedError
from village_app.county.indexer import CountyIndexer, IndexerLocked, short_error


async def run(couch_url: str, folder: Path | str, *, once: bool) -> int:
    """``village-app county index``: catch up once (``once``) or follow the server until
    SIGINT/SIGTERM. Returns the exit status; errors are one English line on stderr."""
    indexer = CountyIndexer(couch_url, folder)
    loop = asyncio.get_running_loop()
    try:
        if once:
            stats = await indexer.run_once()
            print(
                f"county index: {stats.dbs_seen} village databases looked at, "
                f"{stats.dbs_indexed} indexed, {stats.dbs_dropped} dropped, "
                f"{stats.docs_read} revisions read ({stats.mode})"
            )
            return 1 if stats.dbs_failed else 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, indexer.stop)
        await indexer.run_forever()
        return 0
    except UnauthorizedError:
        print(
            f"county index: {indexer.server_location} refused the credentials "
            "(an admin's name and password go in the URL)",
            file=sys.stderr,
        )
        return 2
    except (NetworkError, IndexerLocked, CouchError) as exc:
        print(f"county index: {short_error(exc)}", file=sys.stderr)
        return 3
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await indexer.close()
