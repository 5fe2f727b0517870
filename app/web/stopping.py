"""A worker told to stop (SIGTERM from systemd or uvicorn's supervisor, SIGINT from a terminal)
stops taking new work and finishes what it took, losing nothing (docs/operations.md).

The server's own handler stays in charge: it stops accepting connections, lets every request
in flight be answered (ballots already handed to the writer are committed and acknowledged),
then runs the app's shutdown, which stores what the writer still holds. Chained in front of it,
this handler ends the live streams (and ``/readyz`` answers 503 from then on), each with a hint
to reconnect in a few seconds: a stream never ends by itself for minutes, and the server would
wait for it."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from app.web.state import AppState

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop(hailong: AppState) -> Callable[[], None]:
    """Install the handler (from the event loop's thread); a function that takes it away."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach the main thread only (a test's in-thread app)
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def stopping(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(hailong.ballot_watch.end_all)  # from here on, not ready
        before = previous.get(signum)
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:  # no server of ours around: stop as the signal would
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for sig in SIGNALS:
        previous[sig] = signal.signal(sig, stopping)

    def restore() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is stopping:
                signal.signal(sig, handler)

    return restore
