"""The bundle file: a signed payload, encrypted to its recipient.

Layout (format 1)::

    MAGIC                          b"CUNYI-BUNDLE\\n"
    u32 header length, header      JSON, in clear: {"format", "to", "ephemeral", "chunk"}
    chunks                         u32 length + AES-256-GCM ciphertext, until the last one

Only the recipient's key fingerprint and a one-time public key are in clear: a lost stick
says neither which village wrote it nor anything of what it holds.

Encryption is ECIES over X25519: a fresh ephemeral key pair per file, the shared secret run
through HKDF-SHA256 (salt: both public keys) into a 256-bit AES-GCM key. The plaintext is
cut into chunks of ``chunk`` bytes (so neither side holds a large bundle in memory), each
sealed with a nonce made of its number and a flag for the last one, and with the magic and
the header as associated data: a chunk changed, dropped, moved or added, a header edited, a
file cut short, all fail to open.

The plaintext is ``u32 meta length, meta JSON, payload (meta.payload_size bytes), Ed25519
signature (64 bytes)``. The signature covers a domain tag, the header and the meta, and the
meta carries the payload's SHA-256: the sender vouches for the recipient, the content and
every field of the meta, and a bundle re-encrypted by someone else to the same recipient
no longer verifies. Nothing of a bundle is used before its signature and hash are checked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from village_app.bundle.keys import PublicKey

MAGIC: Final = b"CUNYI-BUNDLE\n"
FORMAT: Final = 1
CHUNK: Final = 1024 * 1024
_MAX_HEADER: Final = 4096
_MAX_META: Final = 64 * 1024
_SIG_DOMAIN: Final = b"cunyi bundle signature v1\x00"
_KDF_INFO: Final = b"cunyi bundle v1"
_U32 = struct.Struct(">I")


class BundleRefused(Exception):
    """A bundle that cannot be used; ``code`` says why (the pages explain each), the
    message says it in English for the command line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Opened:
    """A bundle whose signature, hash and meta were checked; the payload in a file."""

    meta: dict[str, Any]
    payload: Path
    sender: PublicKey


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_KDF_INFO
    ).derive(shared)


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- writing -------------------------------------------------------------------
def seal(
    out: Path,
    meta: dict[str, Any],
    payload: Path,
    signer: Ed25519PrivateKey,
    recipient: PublicKey,
) -> None:
    """Write the bundle to ``out`` (whole or not at all: a temporary file renamed)."""
    ephemeral = X25519PrivateKey.generate()
    eph_public = ephemeral.public_key().public_bytes_raw()
    key = _key(ephemeral.exchange(recipient.box), eph_public, recipient.box_bytes)
    header = json.dumps(
        {
            "format": FORMAT,
            "to": recipient.fingerprint,
            "ephemeral": _b64(eph_public),
            "chunk": CHUNK,
        },
        sort_keys=True,
    ).encode()
    digest = hashlib.sha256()
    size = 0
    with payload.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            size += len(block)
    meta = {**meta, "payload_size": size, "payload_sha256": digest.hexdigest()}
    meta_bytes = json.dumps(meta, sort_keys=True, ensure_ascii=False).encode()
    signature = signer.sign(_SIG_DOMAIN + header + meta_bytes)
    aad = MAGIC + header
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(MAGIC + _U32.pack(len(header)) + header)
            for counter, (chunk, last) in enumerate(_plain_chunks(meta_bytes, payload, signature)):
                sealed = AESGCM(key).encrypt(_nonce(counter, last), chunk, aad)
                f.write(_U32.pack(len(sealed)) + sealed)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _plain_chunks(meta: bytes, payload: Path, signature: bytes) -> Iterator[tuple[bytes, bool]]:
    """The plaintext in chunks of :data:`CHUNK` bytes, each with whether it is the last."""

    def pieces() -> Iterator[bytes]:
        yield _U32.pack(len(meta)) + meta
        with payload.open("rb") as f:
            while block := f.read(CHUNK):
                yield block
        yield signature

    buffer = b""
    pending: bytes | None = None
    for piece in pieces():
        buffer += piece
        while len(buffer) >= CHUNK:
            if pending is not None:
                yield pending, False
            pending, buffer = buffer[:CHUNK], buffer[CHUNK:]
    if buffer:
        if pending is not None:
            yield pending, False
        pending = buffer
    if pending is not None:
        yield pending, True


# -- reading -------------------------------------------------------------------
def open_bundle(
    path: Path,
    recipient: X25519PrivateKey,
    recipient_public: PublicKey,
    sender_for: Callable[[dict[str, Any]], PublicKey | None],
    work: Path,
) -> Opened:
    """Check and decrypt the bundle at ``path``; the payload is written into the folder
    ``work``. ``sender_for(meta)`` gives the key the meta's sender must have (``None``:
    nobody known). Raises :class:`BundleRefused`; on any refusal nothing is left in
    ``work`` but what the caller removes with it."""
    with path.open("rb") as f:
        header, header_bytes = _read_header(f)
        if header.get("to") != recipient_public.fingerprint:
            raise BundleRefused(
                "not_for_us", "this bundle was written for another key (another county or laptop)"
            )
        try:
            eph_public = base64.b64decode(str(header.get("ephemeral")), validate=True)
            shared = recipient.exchange(X25519PublicKey.from_public_bytes(eph_public))
        except ValueError as exc:
            raise BundleRefused("damaged", "the bundle's header is damaged") from exc
        key = _key(shared, eph_public, recipient_public.box_bytes)
        return _read_plain(
            _open_chunks(f, key, MAGIC + header_bytes), header_bytes, sender_for, work
        )


def _read_header(f: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    if f.read(len(MAGIC)) != MAGIC:
        raise BundleRefused("not_a_bundle", "this file is not a Cunyi bundle")
    length = _read_u32(f, "header")
    if length > _MAX_HEADER:
        raise BundleRefused("damaged", "the bundle's header is damaged")
    header_bytes = f.read(length)
    try:
        header = json.loads(header_bytes)
    except ValueError:
        header = None
    if len(header_bytes) != length or not isinstance(header, dict):
        raise BundleRefused("damaged", "the bundle's header is damaged")
    version = header.get("format")
    if isinstance(version, int) and version > FORMAT:
        raise BundleRefused(
            "newer_format",
            f"the bundle was written by a newer version of Cunyi (format {version}); "
            "update this one to read it",
        )
    if version != FORMAT or header.get("chunk") != CHUNK:
        raise BundleRefused("damaged", "the bundle's header is damaged")
    return header, header_bytes


def _read_u32(f: IO[bytes], what: str) -> int:
    raw = f.read(4)
    if len(raw) != 4:
        raise BundleRefused(
            "truncated", f"the bundle ends too soon (in its {what}): it was cut short"
        )
    return int(_U32.unpack(raw)[0])


def _open_chunks(f: IO[bytes], key: bytes, aad: bytes) -> Iterator[bytes]:
    """The plaintext chunks, each authenticated; refuses a file that ends before its last
    chunk or goes on after it."""
    aes = AESGCM(key)
    counter = 0
    while True:
        length = _read_u32(f, "data")
        if length > CHUNK + 16:
            raise BundleRefused("damaged", "the bundle is damaged or was changed")
        sealed = f.read(length)
        if len(sealed) != length:
            raise BundleRefused("truncated", "the bundle ends too soon: it was cut short")
        for last in (False, True):
            try:
                plain = aes.decrypt(_nonce(counter, last), sealed, aad)
            except InvalidTag:
                continue
            break
        else:
            raise BundleRefused(
                "damaged", "the bundle is damaged or was changed after it was written"
            )
        yield plain
        counter += 1
        if last:
            if f.read(1):
                raise BundleRefused("damaged", "the bundle has data after its end: it was changed")
            return


class _Reader:
    """Reads exact byte counts across the plaintext chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                raise BundleRefused("damaged", "the bundle's content is incomplete") from None
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def read_into(self, out: IO[bytes], n: int, digest: Any) -> None:
        while n:
            block = self.read(min(n, CHUNK))
            digest.update(block)
            out.write(block)
            n -= len(block)

    def at_end(self) -> bool:
        if self._buffer:
            return False
        return next(self._chunks, None) is None


def _read_plain(
    chunks: Iterator[bytes],
    header_bytes: bytes,
    sender_for: Callable[[dict[str, Any]], PublicKey | None],
    work: Path,
) -> Opened:
    reader = _Reader(chunks)
    meta_length = int(_U32.unpack(reader.read(4))[0])
    if meta_length > _MAX_META:
        raise BundleRefused("damaged", "the bundle's content is damaged")
    meta_bytes = reader.read(meta_length)
    try:
        meta = json.loads(meta_bytes)
    except ValueError:
        meta = None
    size = meta.get("payload_size") if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or not isinstance(size, int) or size < 0:
        raise BundleRefused("damaged", "the bundle's content is damaged")
    work.mkdir(parents=True, exist_ok=True)
    payload = work / "payload.sqlite"
    digest = hashlib.sha256()
    with payload.open("wb") as out:
        reader.read_into(out, size, digest)
    signature = reader.read(64)
    if not reader.at_end():
        raise BundleRefused("damaged", "the bundle's content is damaged")
    sender = sender_for(meta)
    if sender is None:
        raise BundleRefused(
            "unknown_key", "the bundle is signed by a key that is not registered for its village"
        )
    try:
        sender.sign.verify(signature, _SIG_DOMAIN + header_bytes + meta_bytes)
    except InvalidSignature:
        raise BundleRefused(
            "unknown_key",
            "the bundle's signature does not match the key registered for its village",
        ) from None
    if digest.hexdigest() != meta.get("payload_sha256"):
        raise BundleRefused("damaged", "the bundle's content does not match its signature")
    return Opened(meta, payload, sender)
