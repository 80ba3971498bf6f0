"""The CSRF check finds a form's token while the body arrives and stops reading there
(issue 8 §4 follow-up): the handler gets the body byte for byte, the part before the token
replayed and the rest streamed from the client; nothing is held whole in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from village_app.web.rendering.templates import CSRF_FIELD, CSRF_SESSION_KEY
from village_app.web.security import form_token
from village_app.web.security.csrf import CsrfMiddleware
from village_app.web.security.form_token import FieldTooLarge, TokenScanner
from web.helpers import PNG, csrf_of

TOKEN = "tok-EN_0123456789abcdefghijklmnopqrstuvwxyz"
URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "----cunyi-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if filename:
        head += "Content-Type: application/octet-stream\r\n"
    return head.encode() + b"\r\n" + value + b"\r\n"


def _multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _scan(content_type: str, body: bytes, piece: int) -> TokenScanner:
    scanner = TokenScanner(content_type, CSRF_FIELD)
    for i in range(0, len(body), piece):
        scanner.feed(body[i : i + piece])
    scanner.end()
    return scanner


@pytest.mark.parametrize("piece", [1, 7, 65536])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (URLENCODED, f"csrf_token={TOKEN}&title=%E6%9D%91".encode()),
        (URLENCODED, f"title=x&csrf%5Ftoken={TOKEN}".encode()),  # last, its name encoded
        (MULTIPART, _multipart(_part("csrf_token", TOKEN.encode()), _part("t", b"x"))),
        (
            MULTIPART,
            _multipart(
                _part("scan", b"\0" * 300_000, "a.pdf"), _part("csrf_token", TOKEN.encode())
            ),
        ),
    ],
    ids=["urlencoded first", "urlencoded last", "multipart first", "multipart after a file"],
)
def test_the_token_is_found_in_any_cut_of_the_body(
    content_type: str, body: bytes, piece: int
) -> None:
    scanner = _scan(content_type, body, piece)
    assert scanner.found and scanner.token == TOKEN


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (URLENCODED, b"title=x&csrf_tokens=nope&xcsrf_token=nope"),
        (MULTIPART, _multipart(_part("csrf_token", TOKEN.encode(), "csrf_token"))),  # a file
        (MULTIPART, b"--not-the-boundary\r\n garbage"),
        ("application/json", f'{{"csrf_token": "{TOKEN}"}}'.encode()),
        ("multipart/form-data", _multipart(_part("csrf_token", TOKEN.encode()))),  # no boundary
    ],
    ids=["other names", "a file so named", "malformed", "not a form", "no boundary"],
)
def test_a_body_without_the_token_field_has_none(content_type: str, body: bytes) -> None:
    assert _scan(content_type, body, 1000).token is None


def test_a_field_over_the_form_parsers_limit_before_the_token_is_refused() -> None:
    big = b"x" * (form_token.MAX_FIELD_BYTES + 1)
    with pytest.raises(FieldTooLarge):
        _scan(URLENCODED, b"summary=" + big + f"&csrf_token={TOKEN}".encode(), 65536)
    with pytest.raises(FieldTooLarge):
        _scan(MULTIPART, _multipart(_part("summary", big), _part("csrf_token", b"t")), 65536)
    # After the token, the rest is the handler's to judge, even within the same chunk.
    after = _scan(URLENCODED, f"csrf_token={TOKEN}&summary=".encode() + big, len(big) * 2)
    assert after.token == TOKEN
    # A file of that size is no field: the handler's parser spools it.
    assert _scan(MULTIPART, _multipart(_part("f", big, "a.pdf"), _part("csrf_token", b"t")), 65536)


class _Client:
    """``receive`` over a body in chunks, counting how many the app side asked for."""

    def __init__(self, body: bytes, chunk: int = 65536) -> None:
        self.pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        self.asked = 0

    async def receive(self) -> Message:
        if self.asked >= len(self.pieces):
            return {"type": "http.disconnect"}
        self.asked += 1
        more = self.asked < len(self.pieces)
        return {"type": "http.request", "body": self.pieces[self.asked - 1], "more_body": more}


def _through_csrf(body: bytes, content_type: str) -> tuple[bytes, int, int]:
    """The body as the app behind the middleware reads it, how many chunks had been read from
    the client when the app started, and how many in all."""
    client = _Client(body)
    seen: dict[str, object] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["asked before the app"] = client.asked
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body", False):
                break
        seen["body"] = received
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type.encode())],
        "session": {CSRF_SESSION_KEY: TOKEN},
    }
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    import anyio

    anyio.run(CsrfMiddleware(app), scope, client.receive, send)
    assert sent[0]["status"] == 204
    body_seen = seen["body"]
    asked = seen["asked before the app"]
    assert isinstance(body_seen, bytes) and isinstance(asked, int)
    return body_seen, asked, client.asked


def test_reading_stops_at_the_token_and_the_app_gets_the_whole_body() -> None:
    scan = bytes(range(256)) * 40_000  # 10 MB
    body = _multipart(_part("csrf_token", TOKEN.encode()), _part("scan", scan, "scan.pdf"))
    received, before_app, in_all = _through_csrf(body, MULTIPART)
    assert received == body
    assert before_app == 1  # the first 64 KB held the token: the rest streamed to the app
    assert in_all == len(_Client(body).pieces)


def test_a_token_after_a_large_file_is_found_and_the_body_replayed_whole() -> None:
    scan = b"%PDF-" + bytes(range(256)) * 8_000  # 2 MB, spooled to disk before the token
    body = _multipart(_part("scan", scan, "scan.pdf"), _part("csrf_token", TOKEN.encode()))
    received, before_app, _ = _through_csrf(body, MULTIPART)
    assert received == body
    assert before_app == len(_Client(body).pieces)


def test_a_urlencoded_token_at_the_end_of_the_body_is_found() -> None:
    body = b"title=" + b"x" * 100_000 + f"&csrf_token={TOKEN}".encode()
    received, _, _ = _through_csrf(body, URLENCODED)
    assert received == body


def test_a_plain_form_with_a_file_and_the_token_first_is_saved_by_the_real_app(
    client: TestClient,
) -> None:
    """The language switch parses its form after the check read only the token's part."""
    token = csrf_of(client, "/")
    response = client.post(
        "/lang",
        data={"csrf_token": token, "lang": "en", "next": "/matters"},
        files={"scan": ("scan.png", PNG * 50_000, "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/matters"
    assert response.cookies.get("lang") == "en"


def test_a_wrong_token_in_a_streamed_form_is_refused(client: TestClient) -> None:
    csrf_of(client, "/")

    def chunks() -> Iterator[bytes]:
        yield b"csrf_token=forged&lang=en&padding="
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/lang", content=chunks(), headers={"content-type": URLENCODED}, follow_redirects=False
    )
    assert response.status_code == 403
