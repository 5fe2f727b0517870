"""Public pages answered before the app sees them: the whole response (headers, gzip and all)
of a public page or open data file, kept as it first went out, per path, encoding, day and size
of the public log, and sent again from here.

One worker serves a province's public page a thousand times a second beside its ballots: a
kept page through the app's routing, dependencies and middleware cost about 270 µs of the event
loop the ballots also need (the ballots' median doubled); from here it is a dictionary lookup.
A ballot or a decision changes the log's size at its next checkpoint, and the page is made
anew; until the size is read again (at most a second) the kept one is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.stats.periods import today
from app.web.state import AppState

PREFIX = "/cong-khai"


@dataclass(frozen=True)
class _Kept:
    start: Message
    body: bytes


class PublicReplay:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    def _key(self, scope: Scope) -> tuple[str, bool, date, int | None] | None:
        fresh, version = self.state.log_version.peek()
        if not fresh or scope.get("query_string"):
            return None
        gzip = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        return (scope["path"], gzip, today(), version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        if key is not None:
            kept, found = self.state.public_replay.peek(key)
            if kept:
                await send(found.start)
                await send({"type": "http.response.body", "body": found.body})
                return
        await self._keep(scope, receive, send)

    async def _keep(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve through the app, keeping a 200 that sets no cookie, under the key the page was
        made for (read after: the app may just have read the log's size)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start is not None:
                    self._store(scope, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, sending)

    def _store(self, scope: Scope, start: Message, body: bytes) -> None:
        headers = Headers(raw=start["headers"])
        if start["status"] != 200 or "set-cookie" in headers:
            return
        key = self._key(scope)
        if key is not None:
            self.state.public_replay.get(key, (), lambda: _Kept(start, body))
