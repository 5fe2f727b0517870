"""Gzip for what is read, compressed off the event loop when it is large.

Starlette's ``GZipMiddleware`` compresses at level 9 on the event loop: a province's 1.7 MB
ranking JSON held the loop (and every open live stream) for tens of milliseconds. Here level 5:
on a province's ranking (0.7 MB of JSON) and its units page, compressing and sending took the
least time over a 20 Mb/s link, and within 7-12 % of the least over a 100 Mb/s office network
(from level 6 up, compressing cost more than it saved sending; levels 1 to 3 sent 13 to 38 %
more bytes; ``bench/national.py`` prints the table). A body or chunk of 256 KB or more
(about 1.5 ms of compressing) is compressed in a worker thread; below that, the hop to the
thread and back cost more than it spared the loop."""

from __future__ import annotations

import zlib
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LEVEL = 5
IN_THREAD = 256 * 1024
SKIP_TYPES = ("text/event-stream", "image/png", "image/jpeg", "application/zip")


class Gzip:
    def __init__(self, app: ASGIApp, minimum_size: int = 800) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
            await self.app(scope, receive, send)
            return
        await _Responder(send, self.minimum_size).run(self.app, scope, receive)


class _Responder:
    def __init__(self, send: Send, minimum_size: int) -> None:
        self.send = send
        self.minimum_size = minimum_size
        self.start: Message | None = None
        self.compressor: Any = None  # a zlib stream once the body is known to be compressed
        self.passing = False

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        await app(scope, receive, self.handle)

    async def handle(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message
            headers = Headers(raw=message["headers"])
            content_type = headers.get("content-type", "")
            self.passing = "content-encoding" in headers or content_type.startswith(SKIP_TYPES)
            if self.passing:
                await self.send(message)
            return
        if kind != "http.response.body" or self.passing:
            await self.send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if self.start is not None:  # the first body message decides
            start, self.start = self.start, None
            if not more and len(body) < self.minimum_size:
                self.passing = True
                await self.send(start)
                await self.send(message)
                return
            headers = MutableHeaders(raw=start["headers"])
            headers["Content-Encoding"] = "gzip"
            headers.add_vary_header("Accept-Encoding")
            self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)
            if more:
                del headers["Content-Length"]
                await self.send(start)
            else:
                data = await _squeeze(self.compressor, body, final=True)
                headers["Content-Length"] = str(len(data))
                await self.send(start)
                await self.send({"type": "http.response.body", "body": data})
                return
        data = await _squeeze(self.compressor, body, final=not more)
        await self.send({"type": "http.response.body", "body": data, "more_body": more})


async def _squeeze(compressor: Any, body: bytes, *, final: bool) -> bytes:
    def work() -> bytes:
        out: bytes = compressor.compress(body)
        return out + compressor.flush() if final else out

    if len(body) >= IN_THREAD:
        return await anyio.to_thread.run_sync(work)
    return work()
