"""What every request must pass before anything parses it: header and body size, no NUL, and
no JSON field sent twice.

One check at the edge rather than one per route: a NUL byte is refused by PostgreSQL's text
types (a 500 deep inside a handler) and stored as-is by SQLite, so it must never get in at all;
a JSON object naming a field twice would otherwise keep the last silently (a form sending a
field twice is refused by the form's own reader).
"""

from __future__ import annotations

import json
from html import escape

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Generous for a browser (a few cookies, an auth header), well under the servers' own limits, so
# hailong answers 431 with a body before h11 or httptools cut the connection.
MAX_HEADERS = 64
MAX_HEADER_BYTES = 12 * 1024

REFUSALS: dict[int, tuple[str, str, str]] = {
    # status: (code, Vietnamese, English)
    400: (
        "invalid_bytes",
        "Yêu cầu chứa ký tự không hợp lệ (ký tự NUL hoặc không phải UTF-8).",
        "The request contains a NUL character or bytes that are not UTF-8.",
    ),
    413: ("payload_too_large", "Nội dung gửi lên quá lớn.", "Request body too large."),
    422: (
        "duplicate_field",
        "Một trường được gửi hai lần trong cùng một yêu cầu.",
        "A JSON object names the same field twice.",
    ),
    431: (
        "headers_too_large",
        "Phần đầu yêu cầu quá lớn, xin xoá cookie của trang và thử lại.",
        "Request header fields too large.",
    ),
}


async def refuse(scope: Scope, send: Send, status: int) -> None:
    """A complete answer with a body: JSON on the API, a small Vietnamese page elsewhere."""
    code, vi, en = REFUSALS[status]
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": en, "code": code}).encode()
        ctype = b"application/json"
    else:
        body = (
            f"<!doctype html><html lang=vi><meta charset=utf-8><title>{status}</title>"
            f"<h1>{escape(vi)}</h1><p lang=en>{escape(en)}</p></html>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _has_nul(data: bytes) -> bool:
    # Raw, percent-encoded (forms, query strings) or escaped in JSON: "\u0000".
    return b"\x00" in data or b"%00" in data or b"\\u0000" in data


class EdgeGuard:
    """431 for too many or too large headers; 413 for a body over ``max_bytes`` (declared or
    sent); 400 for a NUL byte in the path, the query string or the body.

    The body is read whole before the application sees it: hailong takes ballots and forms of a
    few hundred bytes, never uploads, so holding ``max_bytes`` is cheap, and the handler never
    sees a truncated body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        size = sum(len(name) + len(value) + 4 for name, value in headers)
        if len(headers) > MAX_HEADERS or size > MAX_HEADER_BYTES:
            await refuse(scope, send, 431)
            return
        if "\x00" in scope["path"] or _has_nul(scope.get("query_string", b"")):
            await refuse(scope, send, 400)
            return
        for name, value in headers:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else self.max_bytes + 1
                if declared > self.max_bytes:
                    await refuse(scope, send, 413)
                    return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await refuse(scope, send, 413)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        content_type = _content_type(headers)
        body = _readable_form(b"".join(chunks), content_type)
        if body is None or _has_nul(body):
            await refuse(scope, send, 400)
            return
        if content_type == b"application/json" and _names_a_field_twice(body):
            await refuse(scope, send, 422)
            return
        await self.app(scope, _replay(body, receive), send)


def _content_type(headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


class _Twice(Exception):
    pass


def _once(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Twice
    return found


def _names_a_field_twice(body: bytes) -> bool:
    """Whether an object in the JSON body names a field twice (a body that is not JSON is left
    to the route, which says what is wrong with it)."""
    try:
        json.loads(body, object_pairs_hook=_once)
    except _Twice:
        return True
    except ValueError:
        return False
    return False


def _readable_form(body: bytes, content_type: bytes) -> bytes | None:
    """A form body as the parser must see it, or None when it is not text at all.

    Browsers percent-encode every non-ASCII byte of a form; the form parser decodes anything
    else as Latin-1, so raw UTF-8 from a script would be stored garbled ("Ã¡" for "á"). Raw
    UTF-8 is percent-encoded here instead, and bytes that are not UTF-8 are refused (the
    percent-encoded kind turn into U+FFFD, which the fields' own checks refuse)."""
    if content_type not in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
        return body
    if body.isascii():
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if content_type == b"multipart/form-data":
        return body  # no files are taken, so every part is text, and it is UTF-8
    return b"".join(b"%%%02X" % byte if byte > 0x7F else bytes((byte,)) for byte in body)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as the server would

    return replay
