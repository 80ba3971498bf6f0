"""Incoming documents: validation and splitting into id / rev / flags / body.

Mirrors ``couch_doc:from_json_obj_validate``: ids must be non-empty strings and
may start with ``_`` only as ``_design/`` or ``_local/``; unknown ``_``
members are refused; ``_rev`` must parse as ``N-id``. Validation happens
before any transaction starts, so a refused write changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sync.database import MAX_DOCUMENT_SIZE
from sync.errors import BadRequestError, DocumentTooLargeError
from sync.revtree import parse_rev

LOCAL_PREFIX = "_local/"
DESIGN_PREFIX = "_design/"
# Members CouchDB reads, and those it accepts but ignores on input.
_READ = {"_id", "_rev", "_deleted", "_attachments", "_revisions"}
_IGNORED = {"_revs_info", "_conflicts", "_deleted_conflicts", "_local_seq"}
_COMMON = ("_id", "_rev", "_deleted", "_revisions")


@dataclass(slots=True)
class Incoming:
    """One validated document of a write."""

    id: str
    rev: str | None
    deleted: bool
    #: user members plus the raw ``_attachments`` (if any)
    body: dict[str, Any]
    revisions: Any
    is_local: bool


def validate_id(docid: object) -> str:
    if not isinstance(docid, str):
        raise BadRequestError("Document id must be a string", docid=repr(docid))
    if not docid:
        raise BadRequestError("Document id must not be empty", docid=docid)
    if docid.startswith("_") and not docid.startswith((DESIGN_PREFIX, LOCAL_PREFIX)):
        raise BadRequestError("Only reserved document ids may start with underscore.", docid=docid)
    if docid in (DESIGN_PREFIX, LOCAL_PREFIX):
        raise BadRequestError("Document id must not be a bare prefix", docid=docid)
    return docid


#: The standard library's form of the one JSON encoding used for stored bodies
#: (compact, UTF-8); built once because ``json.dumps`` with options makes a new
#: encoder on every call.
_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_raw_decode = json.JSONDecoder().raw_decode
_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS  # int/float/bool/None keys become strings, as in json


def encode(value: Any) -> bytes | str:
    """A body as stored: compact JSON, as ``json.dumps(ensure_ascii=False,
    separators=(",", ":"))`` writes it, in one of two forms.

    Usually orjson's UTF-8 ``bytes`` (stored as a BLOB): it writes the same text about
    5x faster than the standard library and hands SQLite and md5 the bytes they need
    without a decode and re-encode (bench/store.py: about a third of the per-document
    CPU of an import). What orjson refuses — integers beyond 64 bits, strings with lone
    surrogates, types neither library knows — gets the standard encoder's ``str``
    (stored as TEXT), which writes or raises exactly as before. :func:`loads` tells the
    two apart by type, and reads orjson's form back with orjson: exact, since it holds no
    integer orjson would widen to a float. Two known differences from the standard
    library, both where its output is not JSON at all: NaN and infinities become
    ``null`` (as JavaScript's ``JSON.stringify``, hence PouchDB, writes them), and orjson
    encodes a few types json refuses (datetime, UUID, dataclasses, plain Enums)."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTS)
    except TypeError:  # orjson.JSONEncodeError
        return _json_dumps(value)


def dumps(value: Any) -> str:
    """:func:`encode` as text (revision trees, ``_local`` docs, index values)."""
    raw = encode(value)
    return raw.decode() if isinstance(raw, bytes) else raw


def loads(data: str | bytes) -> Any:
    """Decode JSON we stored ourselves: bytes are orjson's (see :func:`encode`); text is
    read with ``json``'s ``raw_decode`` (``json.loads`` minus its two whitespace regex
    scans, which show up when reading thousands)."""
    if type(data) is bytes:
        return orjson.loads(data)
    return _raw_decode(data)[0]  # type: ignore[arg-type]


def utf8(body_json: str | bytes) -> bytes:
    return body_json if type(body_json) is bytes else body_json.encode()  # type: ignore[union-attr]


def check_size(docid: str, body_json: str | bytes) -> None:
    # Cheap test first: a str of n chars encodes to at most 4n bytes.
    if len(body_json) * 4 > MAX_DOCUMENT_SIZE and len(utf8(body_json)) > MAX_DOCUMENT_SIZE:
        raise DocumentTooLargeError("Document is too large", docid=docid)


def prepare(doc: object, *, new_edits: bool) -> Incoming:
    """Validate one incoming document (raises BadRequestError / DocumentTooLargeError)."""
    if type(doc) is not dict and not isinstance(doc, Mapping):  # the ABC check is slow
        raise BadRequestError("Document must be a JSON object")
    if "_id" in doc:
        docid = validate_id(doc["_id"])
    elif new_edits:
        docid = uuid.uuid4().hex
    else:
        raise BadRequestError("Document id is required with new_edits=false")
    rev = doc.get("_rev")
    if rev is not None:
        if not docid.startswith(LOCAL_PREFIX):
            parse_rev(rev)
        elif not isinstance(rev, str):
            raise BadRequestError("Invalid rev format", docid=docid)
    elif not new_edits and not docid.startswith(LOCAL_PREFIX):
        raise BadRequestError("new_edits=false needs a _rev", docid=docid)
    deleted = doc.get("_deleted", False)
    if not isinstance(deleted, bool):
        raise BadRequestError("_deleted must be true or false", docid=docid)
    # The body is the document minus its "_" members. Copy, drop the usual ones, and see
    # whether any other is left with one C-level join over the keys (it also refuses a
    # non-string key): a comprehension testing every key cost several us per document.
    body = dict(doc)
    for key in _COMMON:
        body.pop(key, None)
    try:
        keys = "\0".join(body)
    except TypeError as exc:
        raise BadRequestError("Document members must be strings", docid=docid) from exc
    if keys[:1] == "_" or "\0_" in keys:  # some other "_" member (or a key with a NUL)
        for key in doc:
            if key[:1] == "_" and key not in _READ and key not in _IGNORED:
                raise BadRequestError(f"Bad special document member: {key}", docid=docid)
        body = {k: v for k, v in body.items() if k[:1] != "_"}
    atts = doc.get("_attachments")
    if atts is not None:
        if not isinstance(atts, Mapping) or not all(isinstance(a, Mapping) for a in atts.values()):
            raise BadRequestError("_attachments must be an object of objects", docid=docid)
        if atts:
            body["_attachments"] = dict(atts)
    return Incoming(
        docid, rev, deleted, body, doc.get("_revisions"), docid.startswith(LOCAL_PREFIX)
    )
