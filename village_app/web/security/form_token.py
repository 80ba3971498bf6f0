"""Finding a form's CSRF token in its body while the body arrives, without keeping the body.

The CSRF check used to read a whole body into memory to find the ``csrf_token`` field, then
hand the bytes on to the handler: about 9 MB held per 10 MB upload while the handler parsed
the same bytes again. Here python-multipart's streaming parsers (the ones Starlette's own form
parsing drives) are fed each chunk as it comes, with callbacks that keep nothing but the token
field's value (a few dozen bytes) and the size of the field being read; every other byte is
looked at once and dropped. The check stops reading as soon as the token's field is complete
(our forms put it first), and what it read is replayed to the handler, ahead of the rest of
the body, which then streams to the handler as if nobody had looked (:class:`BodyPrefix`).

What was read before the token is kept in a :class:`tempfile.SpooledTemporaryFile`: in memory
up to :data:`SPOOL_IN_MEMORY`, on disk past it, so a form whose token comes after a large file
costs disk for a moment, not memory.
"""

from __future__ import annotations

import tempfile
from typing import Any, Final
from urllib.parse import unquote_plus

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.types import Message, Receive

#: Starlette's form parser refuses a field (not a file) past this size (its ``max_part_size``);
#: the scan refuses it too, so a token after such a field is never looked for in vain.
MAX_FIELD_BYTES: Final = 1024 * 1024
#: What is read before the token stays in memory up to this size, then goes to a temporary file.
SPOOL_IN_MEMORY: Final = 64 * 1024
#: The replay hands the kept bytes on in pieces of this size.
_REPLAY_CHUNK: Final = 64 * 1024
#: Our tokens are 43 characters; a longer value is not one of ours, and is not kept whole.
_MAX_TOKEN_BYTES: Final = 256
_MAX_NAME_BYTES: Final = 64


class FieldTooLarge(Exception):
    """A field (not a file) before the token passed :data:`MAX_FIELD_BYTES`."""


class TokenScanner:
    """Feed it the body's chunks in order (:meth:`feed`), then :meth:`end` if the body ended
    first; ``found`` once the field ``name`` is complete, its value in ``token``. A body that
    is no form, or a malformed one, simply has no token."""

    def __init__(self, content_type: str, name: str) -> None:
        self.name = name
        self.token: str | None = None
        self.found = False
        self._field_bytes = 0
        self._parser: Any = None
        kind, options = parse_options_header(content_type)
        if kind == b"application/x-www-form-urlencoded":
            self._parser = self._querystring_parser()
        elif kind == b"multipart/form-data" and options.get(b"boundary"):
            self._parser = self._multipart_parser(options[b"boundary"])

    @property
    def possible(self) -> bool:
        """Whether reading on could still find the token."""
        return self._parser is not None and not self.found

    def feed(self, chunk: bytes) -> None:
        if not self.possible or not chunk:
            return
        try:
            self._parser.write(chunk)
        except FormParserError:
            self._parser = None

    def end(self) -> None:
        """The body is complete: a last urlencoded field ends with it."""
        if self.possible:
            try:
                self._parser.finalize()
            except FormParserError:
                self._parser = None

    def _count(self, size: int) -> None:
        self._field_bytes += size
        # Once found, the rest of the chunk being parsed is the handler's to judge.
        if self._field_bytes > MAX_FIELD_BYTES and not self.found:
            raise FieldTooLarge

    def _querystring_parser(self) -> QuerystringParser:
        name, value = bytearray(), bytearray()

        def on_field_start() -> None:
            self._field_bytes = 0
            name.clear()
            value.clear()

        def on_field_name(data: bytes, start: int, end: int) -> None:
            self._count(end - start)
            if len(name) <= _MAX_NAME_BYTES:  # longer is not our field's name
                name.extend(data[start:end][: _MAX_NAME_BYTES + 1])

        def is_token_field() -> bool:
            return unquote_plus(name.decode("latin-1")) == self.name

        def on_field_data(data: bytes, start: int, end: int) -> None:
            self._count(end - start)
            if len(value) <= _MAX_TOKEN_BYTES and is_token_field():
                value.extend(data[start:end][: _MAX_TOKEN_BYTES + 1])

        def on_field_end() -> None:
            if not self.found and is_token_field():
                self.token = unquote_plus(value.decode("latin-1"))
                self.found = True

        return QuerystringParser(
            {
                "on_field_start": on_field_start,
                "on_field_name": on_field_name,
                "on_field_data": on_field_data,
                "on_field_end": on_field_end,
            }
        )

    def _multipart_parser(self, boundary: bytes) -> MultipartParser:
        header_name, header_value, value = bytearray(), bytearray(), bytearray()
        part: dict[str, bool] = {"token": False, "file": False}

        def on_part_begin() -> None:
            self._field_bytes = 0
            value.clear()
            part.update(token=False, file=False)

        def on_header_field(data: bytes, start: int, end: int) -> None:
            header_name.extend(data[start:end])  # bounded by the parser's max_header_size

        def on_header_value(data: bytes, start: int, end: int) -> None:
            header_value.extend(data[start:end])

        def on_header_end() -> None:
            if bytes(header_name).lower() == b"content-disposition":
                _, options = parse_options_header(bytes(header_value))
                field = options.get(b"name", b"").decode("latin-1")
                part.update(token=field == self.name, file=b"filename" in options)
            header_name.clear()
            header_value.clear()

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if part["file"]:
                return  # a file is spooled by the handler's parser, whatever its size
            self._count(end - start)
            if part["token"] and len(value) <= _MAX_TOKEN_BYTES:
                value.extend(data[start:end][: _MAX_TOKEN_BYTES + 1])

        def on_part_end() -> None:
            if part["token"] and not part["file"] and not self.found:
                self.token = value.decode("utf-8", "replace")
                self.found = True

        return MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
        )


class BodyPrefix:
    """The part of a body read so far (spooled), and ``receive`` for the handler that replays
    it and then reads on from the client."""

    def __init__(self) -> None:
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (close())
        #: The client has more to send than was read.
        self.more = True

    def keep(self, chunk: bytes, *, more: bool) -> None:
        # A write past SPOOL_IN_MEMORY goes to the file: a 64 KB write to the page cache, far
        # cheaper than a thread hop, as Starlette's parser also writes its spooled parts.
        self._spool.write(chunk)
        self.more = more

    def replay(self, live: Receive) -> Receive:
        self._spool.seek(0)
        replayed = False

        async def receive() -> Message:
            nonlocal replayed
            if not replayed:
                piece = self._spool.read(_REPLAY_CHUNK)
                if piece:
                    return {"type": "http.request", "body": piece, "more_body": True}
                replayed = True
                if not self.more:
                    return {"type": "http.request", "body": b"", "more_body": False}
            return await live()  # the rest of the body, then whatever the server sends

        return receive

    def close(self) -> None:
        self._spool.close()
