"""Public bundles (导出到查询机): what a kiosk with no network may hold, on a USB stick.

A public bundle holds only public twins, chosen exactly as the county's public database
gets them: the kiosk selector of the county's ``_replicator`` job, then the allow-list of its
``validate_doc_update`` (:func:`village_app.domain.publicity.check_public`, run here by the
kiosk's own :class:`~village_app.kiosk.guard.GuardedStore`). A twin the list refuses is left
out and counted. Everything in it is public, so it is not encrypted; it is signed with the
laptop's Ed25519 key (the key that signs its bundles and its publications), so that a kiosk
refuses a stick someone else made or changed.

Layout (format 1)::

    MAGIC                      b"CUNYI-PUBLIC\\n"
    u32 header length, header  JSON {"format", "kind": "public"}
    u32 meta length, meta      JSON: village, created_at, the laptop's public key file
                               ("key"), counts, payload_size and payload_sha256
    payload                    an embedded store of public twins (payload_size bytes)
    signature                  Ed25519 (64 bytes) over a domain tag, the header and the meta

The meta carries the payload's SHA-256, so the signature vouches for every byte. The key in
the meta only says *which* key signed: the kiosk trusts it when it is one it pinned (see
:mod:`village_app.kiosk.stick`), never because the bundle carries it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import sync
from sync.database import Database
from sync.replication import replicate
from village_app.bundle import container
from village_app.bundle.container import BundleRefused
from village_app.bundle.files import BATCH_SIZE, remove_store, workspace
from village_app.bundle.keys import BadKey, PublicKey, laptop_keys
from village_app.domain.dates import now_utc
from village_app.domain.publicity import kiosk_selector
from village_app.kiosk.guard import GuardedStore

MAGIC: Final = b"CUNYI-PUBLIC\n"
FORMAT: Final = 1
_MAX_HEADER: Final = 4096
_MAX_META: Final = 64 * 1024
_SIGNATURE: Final = 64
_SIG_DOMAIN: Final = b"cunyi public bundle signature v1\x00"
_U32 = struct.Struct(">I")
#: Where, in the laptop's data folder, a public bundle is built (removed after each).
WORK_FOLDER: Final = "kiosk-bundle-work"


@dataclass(frozen=True)
class PublicExported:
    path: Path
    docs: int  # public twin revisions in the bundle
    left_out: int  # twins the allow-list refused (a broken record): not in the bundle
    size: int


@dataclass(frozen=True)
class OpenedPublic:
    """A public bundle whose signature and hash were checked; the payload in a file."""

    meta: dict[str, Any]
    payload: Path
    key: PublicKey  # the laptop key that signed it (whether to trust it is the caller's)


def public_bundle_name(village: str) -> str:
    return f"cunyi-{village}-{now_utc():%Y%m%d-%H%M}-kiosk.cunyi"


# -- writing (the laptop) --------------------------------------------------------------
async def export_public(db: Database, data_dir: Path, village: str, out: Path) -> PublicExported:
    """Write to ``out`` a signed bundle of the village's public twins, all of them (a kiosk
    takes what it lacks; a few hundred small documents, so no checkpoint is kept)."""
    keys = laptop_keys(data_dir, village)
    with workspace(data_dir / WORK_FOLDER) as work:
        staging = work / "public.sqlite"
        left_out = work / "left-out.sqlite"
        remove_store(staging)
        target = await sync.open_database(str(staging))
        kept_aside = await sync.open_database(str(left_out))
        try:
            guarded = GuardedStore(target, kept_aside, village)
            rep = await replicate(db, guarded, selector=kiosk_selector(), batch_size=BATCH_SIZE)
            # The staging store is a file of its own: drop the replicator's checkpoint in it.
            if rep.replication_id:
                await _drop_local(target, f"_local/{rep.replication_id}")
        finally:
            await kept_aside.close()
            await target.close()
        if Path(f"{staging}-wal").exists() and Path(f"{staging}-wal").stat().st_size:
            raise sync.CouchError(f"{staging} was left with a write-ahead log: not a whole file")
        meta = {
            "kind": "public",
            "village": village,
            "created_at": now_utc().isoformat(),
            "key": keys.public.to_text(),
            "docs": rep.counters.docs_written,
            "left_out": guarded.refused,
        }
        write_public(out, meta, staging, keys.sign)
    return PublicExported(out, rep.counters.docs_written, guarded.refused, out.stat().st_size)


async def _drop_local(db: Database, docid: str) -> None:
    try:
        found = await db.get_local(docid)
        await db.delete_local(docid, found.get("_rev"))
    except sync.CouchError:
        pass


def write_public(out: Path, meta: dict[str, Any], payload: Path, signer: Ed25519PrivateKey) -> None:
    """Write the bundle to ``out``, whole or not at all (a temporary file renamed)."""
    header = json.dumps({"format": FORMAT, "kind": "public"}, sort_keys=True).encode()
    digest = hashlib.sha256()
    size = 0
    with payload.open("rb") as f:
        while block := f.read(container.CHUNK):
            digest.update(block)
            size += len(block)
    meta = {**meta, "payload_size": size, "payload_sha256": digest.hexdigest()}
    meta_bytes = json.dumps(meta, sort_keys=True, ensure_ascii=False).encode()
    signature = signer.sign(_SIG_DOMAIN + header + meta_bytes)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(MAGIC + _U32.pack(len(header)) + header + _U32.pack(len(meta_bytes)))
            f.write(meta_bytes)
            with payload.open("rb") as source:
                while block := source.read(container.CHUNK):
                    f.write(block)
            f.write(signature)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- reading (the kiosk) ---------------------------------------------------------------
def _short(what: str) -> BundleRefused:
    return BundleRefused("truncated", f"the bundle ends too soon (in its {what}): it was cut short")


def _exactly(f: IO[bytes], n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _short(what)
    return data


def _json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        found = json.loads(raw)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise BundleRefused("damaged", f"the bundle's {what} is damaged or was changed")
    return found


def open_public(path: Path, work: Path) -> OpenedPublic:
    """Check the public bundle at ``path``: format, length, the signature against the key it
    names, the payload against its hash. The payload is written into the folder ``work``.
    Raises :class:`BundleRefused`; nothing of the bundle is used before all of it is checked."""
    with path.open("rb") as f:
        magic = f.read(len(MAGIC))
        if magic != MAGIC:
            if (magic + f.read(len(container.MAGIC) - len(magic))).startswith(container.MAGIC):
                raise BundleRefused(
                    "wrong_kind",
                    "this is a bundle for the county (导出到U盘), not for a kiosk: "
                    "export one with 导出到查询机 (or bundle export --public)",
                )
            raise BundleRefused("not_a_bundle", "this file is not a Cunyi bundle for a kiosk")
        length = int(_U32.unpack(_exactly(f, 4, "header"))[0])
        if length > _MAX_HEADER:
            raise BundleRefused("damaged", "the bundle's header is damaged")
        header_bytes = _exactly(f, length, "header")
        header = _json(header_bytes, "header")
        version = header.get("format")
        if isinstance(version, int) and version > FORMAT:
            raise BundleRefused(
                "newer_format",
                f"the bundle was written by a newer version of Cunyi (format {version}); "
                "update this kiosk to read it",
            )
        if version != FORMAT or header.get("kind") != "public":
            raise BundleRefused("damaged", "the bundle's header is damaged")
        length = int(_U32.unpack(_exactly(f, 4, "description"))[0])
        if length > _MAX_META:
            raise BundleRefused("damaged", "the bundle's description is damaged")
        meta_bytes = _exactly(f, length, "description")
        meta = _json(meta_bytes, "description")
        size = meta.get("payload_size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BundleRefused("damaged", "the bundle's description is damaged")
        work.mkdir(parents=True, exist_ok=True)
        payload = work / "public.sqlite"
        digest = hashlib.sha256()
        with payload.open("wb") as out:
            left = size
            while left:
                block = f.read(min(left, container.CHUNK))
                if not block:
                    raise _short("records")
                digest.update(block)
                out.write(block)
                left -= len(block)
        signature = _exactly(f, _SIGNATURE, "signature")
        if f.read(1):
            raise BundleRefused("damaged", "the bundle has data after its end: it was changed")
    try:
        key = PublicKey.from_text(str(meta.get("key", "")), "laptop")
    except BadKey as exc:
        raise BundleRefused("damaged", f"the bundle's signing key is damaged ({exc})") from None
    try:
        key.sign.verify(signature, _SIG_DOMAIN + header_bytes + meta_bytes)
    except InvalidSignature:
        raise BundleRefused(
            "damaged", "the bundle was changed after it was signed (its signature does not match)"
        ) from None
    if digest.hexdigest() != meta.get("payload_sha256"):
        raise BundleRefused("damaged", "the bundle's records do not match its signature")
    return OpenedPublic(meta, payload, key)
