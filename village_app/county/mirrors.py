"""The county's copies of the village databases: ``<folder>/mirrors/<code>.sqlite``.

A mirror is an embedded store the indexer pulls ``village_<code>`` into with the
replicator (whose checkpoints, on both sides, let each pull read only what is new).

CouchDB gives a database no identity beyond its name: one deleted and made again
under the same name looks like the old one with its history gone. So each village
database carries an identity marker, ``_local/cunyi-county-instance`` (a ``_local``
document: never replicated, gone with the database), holding a random id, and the
mirror holds a copy of it. When the two differ, the mirror is of a database that no
longer exists and is started again from nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Final

import sync
from sync.database import Database
from sync.errors import ConflictError, NotFoundError

MARKER: Final = "_local/cunyi-county-instance"
MIRRORS: Final = "mirrors"


def mirror_path(folder: Path, code: str) -> Path:
    """Where the county's copy of the village's database lives."""
    return folder / MIRRORS / f"{code}.sqlite"


async def marker(db: Database) -> str | None:
    """The identity the database holds (``None``: it has none)."""
    try:
        doc = await db.get_local(MARKER)
    except NotFoundError:
        return None
    value = doc.get("instance")
    return value if isinstance(value, str) and value else None


async def mark(source: Database) -> str:
    """The village database's identity, given to it now if it has none."""
    found = await marker(source)
    if found is not None:
        return found
    instance = uuid.uuid4().hex
    try:
        await source.put_local({"_id": MARKER, "instance": instance})
    except ConflictError:  # another indexer marked it meanwhile
        return await marker(source) or instance
    return instance


async def open_mirror(folder: Path, code: str, instance: str) -> tuple[Database, bool]:
    """The mirror of the database whose identity is ``instance``, and whether an older
    mirror (of another database of the same name) was thrown away for it."""
    path = mirror_path(folder, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    mirror = await sync.open_database(str(path))
    held = await marker(mirror)
    if held == instance:
        return mirror, False
    reset = held is not None
    if reset:
        await mirror.close()
        remove_mirror(folder, code)
        mirror = await sync.open_database(str(path))
    await mirror.put_local({"_id": MARKER, "instance": instance})
    return mirror, reset


def remove_mirror(folder: Path, code: str) -> None:
    path = mirror_path(folder, code)
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()
