"""Attachments: base64 in, content-addressed blobs, stubs out.

A revision's body keeps ``_attachments`` as metadata only —
``{name: {content_type, digest, length, revpos}}`` — and the bytes live once
in the ``attachments`` table under their digest, ``md5-<base64 of md5>`` as
CouchDB writes it for identity-encoded data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sqlite3
from collections.abc import Mapping
from typing import Any

from sync.errors import BadRequestError, NotFoundError, PreconditionFailedError


def digest_of(data: bytes) -> str:
    return "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode()


def store_blob(conn: sqlite3.Connection, data: bytes) -> str:
    digest = digest_of(data)
    conn.execute("INSERT OR IGNORE INTO attachments VALUES (?, ?)", (digest, data))
    return digest


def _decode(docid: str, name: str, data: object) -> bytes:
    if not isinstance(data, str):
        raise BadRequestError(f"attachment {name!r}: data must be base64 text", docid=docid)
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise BadRequestError(f"attachment {name!r}: invalid base64", docid=docid) from exc


def resolve(
    conn: sqlite3.Connection,
    docid: str,
    incoming: Mapping[str, Any],
    prior: Mapping[str, Any],
    generation: int,
    *,
    new_edits: bool,
) -> dict[str, dict[str, Any]]:
    """The metadata to store for a new revision's ``_attachments``.

    ``prior`` is the attachment metadata of the nearest ancestor we hold (the
    parent, for a normal edit): a stub keeps that entry. Inline data is stored
    and gets ``revpos`` = the new generation (with ``new_edits=false`` the
    sender's ``revpos`` is kept, as CouchDB does for replicated revisions)."""
    out: dict[str, dict[str, Any]] = {}
    for name, att in incoming.items():
        if att.get("stub"):
            known = prior.get(name)
            if known is None and not new_edits and isinstance(att.get("digest"), str):
                row = conn.execute(
                    "SELECT length(data) FROM attachments WHERE digest = ?", (att["digest"],)
                ).fetchone()
                if row is not None:
                    known = {
                        "content_type": att.get("content_type", "application/octet-stream"),
                        "digest": att["digest"],
                        "length": row[0],
                        "revpos": att.get("revpos", generation),
                    }
            if known is None:
                exc = PreconditionFailedError(
                    f"Invalid attachment stub in {docid} for {name}", docid=docid
                )
                exc.error = "missing_stub"
                raise exc
            out[name] = dict(known)
            continue
        data = _decode(docid, name, att.get("data"))
        revpos = att.get("revpos") if not new_edits else None
        out[name] = {
            "content_type": att.get("content_type") or "application/octet-stream",
            "digest": store_blob(conn, data),
            "length": len(data),
            "revpos": revpos if isinstance(revpos, int) else generation,
        }
    return out


def render(
    conn: sqlite3.Connection,
    meta: Mapping[str, Mapping[str, Any]],
    *,
    inline: bool,
    since: int = 0,
) -> dict[str, dict[str, Any]]:
    """Stubs, or (``inline``) CouchDB's ``{content_type, revpos, digest, data}`` for each
    attachment with a ``revpos`` after ``since`` (a generation the reader holds)."""
    out: dict[str, dict[str, Any]] = {}
    for name, att in meta.items():
        if inline and att["revpos"] > since:
            out[name] = {
                "content_type": att["content_type"],
                "revpos": att["revpos"],
                "digest": att["digest"],
                "data": base64.b64encode(load_blob(conn, att["digest"])).decode(),
            }
        else:
            out[name] = {**att, "stub": True}
    return out


def load_blob(conn: sqlite3.Connection, digest: str) -> bytes:
    row = conn.execute("SELECT data FROM attachments WHERE digest = ?", (digest,)).fetchone()
    if row is None:
        raise NotFoundError("attachment data missing", docid=digest)
    return bytes(row[0])
