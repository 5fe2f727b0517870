"""Refuse oversized request bodies before anything parses them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge


class BodySizeLimit:
    """413 for a declared Content-Length over the limit; for a chunked body, stop reading at
    the limit and raise, so the handler never sees a truncated body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(scope, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge()
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        path: str = scope.get("path", "")
        if path.startswith("/api/"):
            body = json.dumps(
                {"detail": PayloadTooLarge.__doc__, "code": PayloadTooLarge.code}
            ).encode()
            ctype = b"application/json"
        else:
            body = (
                "<!doctype html><html lang=vi><meta charset=utf-8><title>413</title>"
                f"<h1>{PayloadTooLarge.message_vi}</h1><p>Request body too large.</p></html>"
            ).encode()
            ctype = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
