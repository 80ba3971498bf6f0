"""Scans held for a form that was sent back with errors (pending uploads).

A browser forgets the files chosen in a form once the page comes back: without this, every
refused save meant choosing every scan again. Each file sent with a stage form is kept here,
under the form's idempotency key, until the form is saved (the files go into the record and
are removed from here) or for a day at most. They live in the data folder, beside the village
database and outside it: they are not evidence yet, and must never replicate.

Layout: ``<root>/<form key>/<file id>`` holds the bytes and ``<file id>.name`` the name the
file was chosen under. Form keys and file ids are ULIDs (checked before any path is built).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sync.errors import ReadOnlyStorageError, StorageFullError
from village_app.repo.ids import is_form_key, ulid
from village_app.repo.matters import NewAttachment

#: Files held for a form nobody came back to are removed after this long.
MAX_AGE_SECONDS: Final = 24 * 60 * 60
_NAME: Final = ".name"


@dataclass(frozen=True)
class PendingFile:
    id: str
    name: str
    size: int


class PendingUploads:
    """The files held for one form (``key``: its idempotency key) under ``root``."""

    def __init__(self, root: Path, key: str) -> None:
        if not is_form_key(key):
            raise ValueError(f"not a form key: {key!r}")
        self.root = root
        self.folder = root / key

    def files(self) -> list[PendingFile]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.iterdir()):
            if path.suffix or not is_form_key(path.name):
                continue
            name_file = path.with_name(path.name + _NAME)
            try:
                name = name_file.read_text(encoding="utf-8")
                found.append(PendingFile(path.name, name, path.stat().st_size))
            except OSError:  # half written, or removed meanwhile: not held
                continue
        return found

    def add(self, name: str, data: bytes) -> PendingFile:
        """Hold a file (checked by the caller); also clears out what others left a day ago."""
        sweep(self.root)
        # After the last one held: the order chosen is the order listed, within a millisecond too.
        held = self.files()
        file_id = ulid(datetime.now().astimezone(), after=held[-1].id if held else None)
        with _writing():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.folder / file_id
            tmp = self.folder / f"{file_id}.tmp"
            tmp.write_bytes(data)
            path.with_name(file_id + _NAME).write_text(name, encoding="utf-8")
            os.replace(tmp, path)  # listed only once complete
        return PendingFile(file_id, name, len(data))

    def keep_only(self, ids: set[str]) -> None:
        """Let go of every held file not in ``ids`` (the ones the secretary removed)."""
        for held in self.files():
            if held.id not in ids:
                for path in (self.folder / held.id, self.folder / (held.id + _NAME)):
                    path.unlink(missing_ok=True)

    def read(self) -> list[NewAttachment]:
        """Every file held, oldest first, as attachments to store."""
        return [
            NewAttachment(held.name, (self.folder / held.id).read_bytes()) for held in self.files()
        ]

    def clear(self) -> None:
        """Let go of the form's files (saved with its record); and of others' a day old."""
        shutil.rmtree(self.folder, ignore_errors=True)
        sweep(self.root)


def sweep(root: Path, *, now: float | None = None, max_age: float = MAX_AGE_SECONDS) -> int:
    """Remove the files of forms untouched for ``max_age`` seconds; how many forms went."""
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - max_age
    gone = 0
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if folder.is_dir() and is_form_key(folder.name) and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
    return gone


@contextlib.contextmanager
def _writing() -> Iterator[None]:
    """A full disk or a read-only folder said as the store says it (507, 503)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFullError(f"pending upload: {exc}") from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ReadOnlyStorageError(f"pending upload: {exc}") from exc
        raise
