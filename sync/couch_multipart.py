"""Documents with their attachments as ``multipart/related``, the way CouchDB's replicator
writes them (docs.couchdb.org, "API Reference", ``PUT /{db}/{docid}``, "Creating Multiple
Attachments"; ``couch_doc:doc_to_multi_part_stream``).

In a ``_bulk_docs`` body an attachment travels base64-encoded inside the JSON: a third
larger, and the server decodes it (and, when the body is gzipped, inflates all of it
first: pouchdb-server spends seconds on 20 MB of photos). As ``multipart/related`` the
JSON part carries each attachment's stub with ``"follows": true`` and its raw bytes follow
in parts of their own, in the order of the stubs, which is how the server matches them.
Each part also names its attachment (``Content-Disposition``), which pouchdb-server needs.
Only replicated first revisions go so (see :func:`sent_as_multipart`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from typing import Any

from sync.errors import BadRequestError

#: Stub fields a server takes with ``follows``; ``encoding`` and ``encoded_length`` describe
#: how the source stored the data, not the bytes that follow.
_STUB_FIELDS = ("content_type", "digest", "revpos")


def sent_as_multipart(doc: Mapping[str, Any]) -> bool:
    """Whether a replicated revision goes as ``multipart/related``: a first revision
    (``1-...``) carrying attachment data. Only first revisions: pouchdb-server stores a
    multipart PUT's revision without the ``_revisions`` history sent with it (CouchDB
    keeps it), and a later revision written without its history would stand as a
    conflict with its own ancestors. Most attachments a village sends are first
    revisions (a scanned sheet with the record it proves)."""
    atts = doc.get("_attachments")
    rev = doc.get("_rev")
    return (
        isinstance(rev, str)
        and rev.startswith("1-")
        and isinstance(atts, Mapping)
        and any(isinstance(a, Mapping) and isinstance(a.get("data"), str) for a in atts.values())
    )


def multipart_related(doc: Mapping[str, Any]) -> tuple[str, bytes]:
    """``(content type, body)`` of ``doc`` as ``multipart/related``: its JSON with stubs,
    then each attachment's bytes."""
    atts = doc.get("_attachments")
    if not isinstance(atts, Mapping):
        raise BadRequestError("no attachments to send as multipart/related")
    stubs: dict[str, Any] = {}
    parts: list[tuple[str, str, bytes]] = []
    for name, att in atts.items():
        if not isinstance(att, Mapping) or not isinstance(att.get("data"), str):
            stubs[name] = att  # a stub the target has: sent as it is
            continue
        try:
            data = base64.b64decode(att["data"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequestError(f"attachment {name!r} is not valid base64") from exc
        stub = {k: att[k] for k in _STUB_FIELDS if k in att}
        stub.update(follows=True, length=len(data))
        stubs[name] = stub
        content_type = str(att.get("content_type") or "application/octet-stream")
        parts.append((str(name), content_type, data))
    head = json.dumps(
        {**doc, "_attachments": stubs}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    boundary = uuid.uuid4().hex
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        head,
    ]
    for name, content_type, data in parts:
        chunks.append(
            (
                f"\r\n--{boundary}\r\n"
                f"Content-Disposition: attachment; filename={_quoted(name)}\r\n"
                f"Content-Type: {_header_safe(content_type)}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
        )
        chunks.append(data)
    chunks.append(f"\r\n--{boundary}--".encode())
    return f'multipart/related; boundary="{boundary}"', b"".join(chunks)


def _quoted(name: str) -> str:
    # A quoted-string (RFC 9110 5.6.4) of the UTF-8 name; the JSON part names it exactly.
    return '"' + _header_safe(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header_safe(value: str) -> str:
    """No line breaks in a part header: a name cannot end the header or add another."""
    return value.replace("\r", " ").replace("\n", " ")
