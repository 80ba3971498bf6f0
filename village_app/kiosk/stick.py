"""``kiosk import``: a public bundle from a USB stick into the kiosk's store, for a kiosk with
no network (the laptop's 导出到查询机, see :mod:`village_app.bundle.public`).

Which laptop keys the kiosk trusts is set at the kiosk, by a person, once: the first import
names the laptop key's fingerprint (``--trust``, read off the laptop's 同步 page, where it is
shown beside the button), and the kiosk pins that key in ``kiosk-keys.json`` in its data
folder. Later sticks must be signed by a pinned key; a new laptop's key is pinned the same
way. Not trust-on-first-use: a kiosk stands in a public hall, and a stick anyone plugs into
a kiosk that is new, or whose folder was wiped, must not be able to choose whom it trusts.

The records go in as a pull's do: replicated (``new_edits: false``) into the kiosk store
through the kiosk's :class:`~village_app.kiosk.guard.GuardedStore`, so the allow-list is
checked again here and anything off it is kept aside. Everything is checked before anything
is written: a stick that is changed, cut short, another village's, signed by a key the kiosk
has not pinned, or from a newer version is refused whole. An older stick imported again is
harmless: its revisions are ancestors of what the kiosk has, and 最后更新 never goes back."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sync
from village_app.bundle.container import BundleRefused
from village_app.bundle.files import out_of_file, workspace
from village_app.bundle.keys import BadKey, PublicKey
from village_app.bundle.public import open_public
from village_app.domain.dates import utc_stamp
from village_app.kiosk.guard import GuardedStore
from village_app.kiosk.pull import (
    KioskFolder,
    KioskStatus,
    _refused_count,
    _write_status,
    read_status,
)

KEYS_FILE: Final = "kiosk-keys.json"
WORK_FOLDER: Final = "stick-work"
#: What the kiosk's status says its records came from, when a stick brought the first ones.
STICK_SOURCE: Final = "usb"


@dataclass(frozen=True)
class StickImported:
    village: str
    written: int
    refused: int  # kept aside by the kiosk's allow-list check
    created_at: str  # when the laptop wrote the bundle
    key: PublicKey
    pinned_now: bool  # this import pinned the key (--trust)


def _normal(fingerprint: str) -> str:
    return fingerprint.replace(" ", "").lower()


def pinned_keys(folder: KioskFolder) -> dict[str, PublicKey]:
    """Fingerprint -> laptop key, for every key pinned at this kiosk."""
    try:
        entries = json.loads((folder.data_dir / KEYS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    keys: dict[str, PublicKey] = {}
    for entry in entries if isinstance(entries, list) else []:
        try:
            key = PublicKey.from_text(str(entry.get("key", "")), "laptop")
        except (BadKey, AttributeError):
            continue
        keys[key.fingerprint] = key
    return keys


def pin_key(folder: KioskFolder, key: PublicKey) -> None:
    """Add ``key`` to the kiosk's pinned keys (kept: a replaced laptop's old key still
    vouches for what it wrote)."""
    path = folder.data_dir / KEYS_FILE
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        entries = []
    entries = [
        e for e in entries if isinstance(e, dict) and e.get("fingerprint") != key.fingerprint
    ]
    entries.append({"fingerprint": key.fingerprint, "key": key.to_text(), "pinned_at": utc_stamp()})
    folder.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f"{KEYS_FILE}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _created_at(value: object) -> str:
    """The bundle's time as a UTC stamp (the kiosk's 最后更新), or refused when odd."""
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BundleRefused("damaged", "the bundle's description is damaged (its date)")
    return utc_stamp(when)


async def _status(folder: KioskFolder) -> KioskStatus | None:
    """The kiosk's status, without making a store when it has none yet."""
    if not folder.store_path.exists():
        return None
    db = await sync.open_database(str(folder.store_path), create=False)
    try:
        return await read_status(db)
    finally:
        await db.close()


def _check_key(folder: KioskFolder, key: PublicKey, trust: str | None) -> bool:
    """Whether ``key`` may sign for this kiosk; ``True`` when ``trust`` pins it now."""
    if trust:
        if _normal(trust) != key.fingerprint:
            raise BundleRefused(
                "unknown_key",
                f"the bundle is signed by laptop key {key.fingerprint_text}, not by the key "
                "given with --trust: nothing imported",
            )
        return key.fingerprint not in pinned_keys(folder)
    if key.fingerprint not in pinned_keys(folder):
        raise BundleRefused(
            "unknown_key",
            "the bundle is signed by a laptop key this kiosk does not know "
            f"({key.fingerprint_text}): nothing imported. If it is your village's laptop, "
            "check this fingerprint against the one on its 同步 page and run again with "
            "--trust FINGERPRINT",
        )
    return False


async def import_stick(
    folder: KioskFolder, path: Path, *, trust: str | None = None
) -> StickImported:
    """Import the public bundle at ``path``; ``trust``: the fingerprint of a laptop key to
    pin (the first stick of a kiosk, or of a village's new laptop)."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    with workspace(folder.data_dir / WORK_FOLDER) as work:
        opened = open_public(path, work)
        meta, key = opened.meta, opened.key
        village = str(meta.get("village", ""))
        if meta.get("kind") != "public" or key.code != village:
            raise BundleRefused("damaged", "the bundle's description is damaged")
        created_at = _created_at(meta.get("created_at"))
        status = await _status(folder)
        if status is not None and status.village != village:
            raise BundleRefused(
                "other_village",
                f"this bundle is village {village}'s; this kiosk shows village "
                f"{status.village}: nothing imported",
            )
        pin_now = _check_key(folder, key, trust)
        # Checked whole: from here on the stick is written in.
        if pin_now:
            pin_key(folder, key)
        store = await sync.open_database(str(folder.store_path))
        quarantine = await sync.open_database(str(folder.quarantine_path))
        try:
            guarded = GuardedStore(store, quarantine, village)
            rep = await out_of_file(opened.payload, guarded)
            status = await read_status(store)
            last = status.last_contact if status is not None else None
            changes: dict[str, object] = {
                "last_contact": max(created_at, last) if last else created_at,
                "refused": await _refused_count(quarantine),
            }
            if status is None:
                changes.update(village=village, source=STICK_SOURCE)
            if rep.counters.docs_written:
                changes["last_change"] = utc_stamp()
            await _write_status(store, **changes)
        finally:
            await quarantine.close()
            await store.close()
    return StickImported(
        village, rep.counters.docs_written, guarded.refused, created_at, key, pin_now
    )
