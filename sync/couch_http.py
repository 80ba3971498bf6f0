"""HTTP transport for the CouchDB endpoint: URLs, credentials, timeouts, errors.

Every request of :mod:`sync.couch` and :mod:`sync.couch_server` goes through
:class:`CouchTransport.request`, the one place that maps HTTP statuses onto the
named errors of :mod:`sync.errors` (as aiocouch does) and counts traffic.
Only the ``sync.couch*`` modules import ``httpx``.

A peer may be broken or hostile, so every request is bounded twice over:

* in size: the answer is read as a stream and given up (the connection closed)
  past ``max_answer_bytes``, with :class:`~sync.errors.AnswerTooLargeError`;
* in time: besides httpx's timeout on each read, the whole request has a
  deadline, ``timeout`` plus the time its bytes take at :data:`MIN_RATE`, so a
  peer sending a byte a second meets :class:`~sync.errors.DeadlineError` while a
  large answer over a slow village link still has the time it needs.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gzip
import json
import os
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from sync.errors import (
    AnswerTooLargeError,
    BadRequestError,
    CouchError,
    DeadlineError,
    ForbiddenError,
    NetworkError,
    PeerError,
    error_for_status,
    peer_text,
)

#: Seconds every call may take unless it says otherwise.
DEFAULT_TIMEOUT = 30.0
#: Added to a longpoll's own timeout: the server answers after ``timeout`` at the
#: earliest, and pouchdb-server ignores ``timeout=`` altogether.
LONGPOLL_MARGIN = 5.0

#: The most one answer may hold, decoded. A batch's attachments (``max_batch_attachment_bytes``
#: of the replication options, base64-encoded) fit; the replicator asks for less at a time
#: when an answer does not.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: The slowest average speed, in bytes a second over the wire, a request may go at once
#: its ``timeout`` is spent (64 kbit/s, well below a village's 1 Mbit/s link).
MIN_RATE = 8 * 1024

#: JSON request bodies at least this large are sent gzip-compressed.
COMPRESS_MIN_SIZE = 1024
#: Request bodies larger than this are handed to the connection, and counted as sent, in
#: pieces of this size (see ``_CountedBody``).
UPLOAD_CHUNK = 32 * 1024

_SPECIAL_PREFIXES = ("_design/", "_local/")
_CLIENT_ERRORS_SENT_AS_500 = frozenset({"bad_request", "doc_validation"})


@dataclass
class CouchStats:
    """Traffic counters, read by the replicator and the benchmarks: request and response
    bodies as they went over the wire (compressed where they were), headers not counted."""

    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


#: Counters for the requests made by the current task and the tasks it starts, besides
#: each transport's own: a replication counts its own traffic with them even when another
#: replication (the other half of a sync) uses the same database objects at the same time.
_task_stats: contextvars.ContextVar[CouchStats | None] = contextvars.ContextVar(
    "couch_task_stats", default=None
)


def count_task_traffic(stats: CouchStats) -> None:
    """Count every request of this task (and of tasks it starts from now on) into ``stats``."""
    _task_stats.set(stats)


@dataclass(frozen=True)
class ServerAddress:
    """A server URL split into what is safe to show and the credentials."""

    base: str  # scheme://host[:port][/prefix], no credentials, no trailing slash
    auth: tuple[str, str] | None


def split_url(url: str, *, with_db: bool = True) -> tuple[ServerAddress, str | None]:
    """``http://user:pass@host:port/prefix/db`` -> (server address, percent-decoded db name).

    With ``with_db`` the database is the last path segment (a CouchDB behind a
    path prefix keeps the prefix in ``base``); without, the whole path is the
    server's. Credentials come from the URL (percent-decoded) or else from
    ``COUCHDB_USER`` / ``COUCHDB_PASSWORD``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequestError(f"not a CouchDB URL: {_redact(url)!r}")
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if user is None and os.environ.get("COUCHDB_USER"):
        user = os.environ["COUCHDB_USER"]
        password = os.environ.get("COUCHDB_PASSWORD", "")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    segments = [s for s in parts.path.split("/") if s]
    dbname = unquote(segments.pop()) if segments and with_db else None
    prefix = "/" + "/".join(segments) if segments else ""
    base = urlunsplit((parts.scheme, netloc, prefix, "", ""))
    auth = (user, password or "") if user is not None else None
    return ServerAddress(base, auth), dbname


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def db_path(name: str) -> str:
    """``/name`` with every reserved character (``/`` included) percent-encoded."""
    return "/" + quote(name, safe="")


def doc_path(docid: str) -> str:
    """A document's path below the database: ``_design/`` and ``_local/`` keep their slash."""
    for prefix in _SPECIAL_PREFIXES:
        if docid.startswith(prefix):
            return "/" + prefix + quote(docid[len(prefix) :], safe="")
    return "/" + quote(docid, safe="")


def query_params(**params: Any) -> dict[str, str]:
    """CouchDB query parameters: booleans as ``true``/``false``, ``None`` dropped."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


class RawJSON(bytes):
    """A request body already encoded as JSON (sent, and compressed, as a JSON body)."""


@dataclass
class _Wire:
    received: int = 0


class _CountedBody:
    """A request body handed to the connection in pieces of :data:`UPLOAD_CHUNK`, each
    counted into ``stats`` once the connection has taken it: a scan of a few hundred KB
    takes seconds on a village link, and the 同步 page's upload figure moves meanwhile."""

    def __init__(self, content: bytes, stats: tuple[CouchStats, ...]) -> None:
        self.content = content
        self.stats = stats
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        view = memoryview(self.content)
        for start in range(0, len(view), UPLOAD_CHUNK):
            piece = bytes(view[start : start + UPLOAD_CHUNK])
            yield piece  # resumed when the connection asks for the next: this one is written
            self.sent += len(piece)
            for stats in self.stats:
                stats.bytes_sent += len(piece)


@dataclass(frozen=True)
class Answer:
    """A response read in full, within the bounds (what :meth:`CouchTransport.send` gives)."""

    method: str
    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


#: A PEM file of certificate authorities to trust besides the usual ones: a county behind
#: Caddy's internal CA (``deploy/caddy/``) gives its laptops that CA's ``root.crt``.
CA_FILE_ENV = "COUCHDB_CA_FILE"


def tls_context() -> ssl.SSLContext:
    """The TLS context of every client: the usual authorities, plus those of the file
    ``COUCHDB_CA_FILE`` names, if set."""
    return _tls_context(os.environ.get(CA_FILE_ENV) or None)


@functools.cache
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    # One per CA file, kept: building one loads the CA certificates (about 30 ms of CPU),
    # which a county opening hundreds of databases would pay each time.
    context = httpx.create_ssl_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise BadRequestError(
                f"{CA_FILE_ENV}={ca_file}: not a readable PEM file ({exc})"
            ) from exc
    return context


class CouchTransport:
    """One ``httpx.AsyncClient`` bound to a server, with counters, bounds and error mapping."""

    def __init__(
        self,
        address: ServerAddress,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self.stats = CouchStats()
        #: Send large JSON bodies with ``Content-Encoding: gzip`` (turn off for a proxy that cannot).
        self.compress_requests = True
        self._client = httpx.AsyncClient(
            auth=httpx.BasicAuth(*address.auth) if address.auth else None,
            timeout=timeout,
            headers={"Accept": "application/json"},
            verify=tls_context(),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        docid: str | None = None,
        rev: str | None = None,
        check: bool = True,
    ) -> Answer:
        """Send one request; return the answer if its status is 2xx, else raise the named error.

        ``body`` is JSON-encoded; ``content`` is sent raw. Transport failures
        become :class:`NetworkError`, an answer not finished in time
        :class:`DeadlineError`, one too large :class:`AnswerTooLargeError`. With
        ``check=False`` any status is returned.
        """
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, RawJSON):
                content = bytes(body)
            else:
                content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            hdrs.setdefault("Content-Type", "application/json")
            compress = self.compress_requests and len(content) >= COMPRESS_MIN_SIZE
            if compress and not path.startswith("/_session"):
                # Record JSON shrinks about twentyfold: on a 1 Mbit/s village link this is
                # most of a push. CouchDB decodes gzip request bodies on every endpoint
                # but _session (before 3.3), and so does pouchdb-server.
                content = gzip.compress(content, compresslevel=5)
                hdrs["Content-Encoding"] = "gzip"
        url = self.address.base + path
        limit = timeout if timeout is not None else self.timeout
        counting = self._counting()
        streamed = None
        if content is not None and len(content) > UPLOAD_CHUNK:
            # A length given, the body goes as it is, not chunked (CouchDB takes both).
            streamed = _CountedBody(content, counting)
            hdrs["Content-Length"] = str(len(content))
        request = self._client.build_request(
            method,
            url,
            params=params,
            content=streamed if streamed is not None else content,
            headers=hdrs,
            timeout=limit,
        )
        wire = _Wire()
        try:
            answer = await self._exchange(request, limit, len(content or b""), wire)
        except TimeoutError as exc:  # the deadline (asyncio's)
            raise DeadlineError(
                f"{method} {url}: no complete answer in time "
                f"(a deadline of {limit:g} s, longer as bytes arrive)",
                docid=docid,
                rev=rev,
            ) from exc
        except httpx.TimeoutException as exc:
            # A read that timed out: the peer went silent. Connecting or sending that
            # timed out is a network failure like any other.
            kind = DeadlineError if isinstance(exc, httpx.ReadTimeout) else NetworkError
            raise kind(
                f"{method} {url}: no answer in time ({type(exc).__name__})", docid=docid, rev=rev
            ) from exc
        except httpx.TransportError as exc:
            raise NetworkError(
                f"{method} {url}: {type(exc).__name__}: {exc}", docid=docid, rev=rev
            ) from exc
        except AnswerTooLargeError as exc:
            raise AnswerTooLargeError(
                f"{method} {url}: answer too large (over {_size(self.max_answer_bytes)}); "
                "stopped reading it",
                docid=docid,
                rev=rev,
            ) from exc
        finally:
            for stats in counting:
                stats.requests += 1
                if streamed is None:  # else counted as it went
                    stats.bytes_sent += len(content or b"")
                # What crossed the wire: servers gzip their answers (pouchdb-server does,
                # and CouchDB attachments of compressible types), and httpx decodes them.
                stats.bytes_received += wire.received
        if check and answer.status_code >= 400:
            raise self.error(method, url, answer, docid=docid, rev=rev)
        return answer

    async def _exchange(
        self, request: httpx.Request, limit: float, sent: int, wire: _Wire
    ) -> Answer:
        """The answer to ``request``, read as a stream under both bounds (see the module
        docstring); ``wire`` counts the bytes it took on the wire, also when it fails."""
        allowance = asyncio.get_running_loop().time() + limit + sent / MIN_RATE
        async with asyncio.timeout_at(allowance) as deadline:
            response = await self._client.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    wire.received = response.num_bytes_downloaded
                    if len(body) > self.max_answer_bytes:
                        raise AnswerTooLargeError()
                    deadline.reschedule(allowance + wire.received / MIN_RATE)
            finally:
                wire.received = response.num_bytes_downloaded
                await response.aclose()
        return Answer(
            request.method, str(request.url), response.status_code, response.headers, bytes(body)
        )

    def _counting(self) -> tuple[CouchStats, ...]:
        task = _task_stats.get()
        return (self.stats,) if task is None or task is self.stats else (self.stats, task)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`send`, returning the decoded JSON body."""
        response = await self.send(method, path, **kwargs)
        return decode_json(response, method)

    def error(
        self, method: str, url: str, response: Answer, *, docid: str | None, rev: str | None
    ) -> CouchError:
        status = response.status_code
        error: str | None = None
        reason = ""
        try:
            payload = json.loads(response.content)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            raw_error = payload.get("error")
            error = peer_text(raw_error, 100) if isinstance(raw_error, str) else None
            raw_reason = payload.get("reason")
            reason = peer_text(raw_reason) if isinstance(raw_reason, str) else ""
        if status >= 500 and error in _CLIENT_ERRORS_SENT_AS_500:
            # pouchdb-server answers some validation refusals with 500; the name says what it is.
            return BadRequestError(reason or error or "", docid=docid, rev=rev)
        if status >= 500 or status not in (400, 401, 403, 404, 409, 412, 413):
            text = peer_text(response.content[:1000].decode("utf-8", "replace"), 200)
            return PeerError(
                f"{method} {url} answered {status}: {text}",
                docid=docid,
                rev=rev,
                http_status=status,
            )
        if status == 403:
            # validate_doc_update's {forbidden: reason} arrives here with its reason.
            return ForbiddenError(reason or "forbidden", docid=docid, rev=rev)
        return error_for_status(status, reason or (error or ""), docid=docid, rev=rev, error=error)


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MiB" if n % mib == 0 else f"{n:,} bytes"


def decode_json(response: Answer, method: str = "GET") -> Any:
    """The JSON body of a response, or :class:`PeerError` naming what was wrong with it."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[... nested too deep
        snippet = peer_text(response.content[:120].decode("utf-8", "replace"), 120)
        raise PeerError(
            f"{method} {response.url}: malformed JSON in the answer "
            f"({peer_text(exc, 120)}): {snippet!r}"
        ) from exc


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it has the expected JSON type, else :class:`PeerError` about ``what``."""
    if not isinstance(value, kind):
        raise PeerError(f"unexpected answer from the server: {what} is {type(value).__name__}")
    return value


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    result: dict[str, Any] = expect(value, dict, what)
    return result


def expect_list(value: Any, what: str) -> list[Any]:
    result: list[Any] = expect(value, list, what)
    return result
