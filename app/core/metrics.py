"""What ``/metrics`` shows, with the kept ``prometheus-client`` (docs/operations.md).

Under ``hailong serve`` every worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode) and whichever worker is scraped adds them all up. The
library reads that variable when it is first imported, so ``hailong serve`` sets it before any
worker starts; in a lone process without it, the values live in memory.

No label names an office, a device, a person or an address: sources, office kinds, refusal
codes and route templates are a few dozen values at national scale."""

from __future__ import annotations

import os
import weakref
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# The library chose where values live when it was imported, just above: so does this module.
MULTIPROCESS = bool(os.environ.get(MULTIPROCESS_DIR))

ballots_stored = Counter(
    "hailong_ballots_stored_total",
    "Ballots stored (not replays), by source and kind of office.",
    ["source", "office_kind"],
)
refusals = Counter(
    "hailong_refusals_total",
    "Requests refused with a 4xx, by reason (the error's code: too_many_ratings, validation, "
    "link_expired…).",
    ["reason"],
)
writer_batch = Histogram(
    "hailong_writer_batch_ballots",
    "Ballots the group-commit writer stored in one transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
writer_commit = Histogram(
    "hailong_writer_commit_seconds",
    "Time the group-commit writer took to store one batch, commit included.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
request_duration = Histogram(
    "hailong_request_duration_seconds",
    "Time to answer a request (until its answer started), by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
live_streams = Gauge(
    "hailong_live_streams",
    "Live event streams open (dashboards, lobby displays, counter screens).",
    multiprocess_mode="livesum",
)
signals_scan = Histogram(
    "hailong_signals_scan_seconds",
    "Time one run of the windowed detectors took.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
pool_in_use = Gauge(
    "hailong_db_connections_in_use",
    "Database connections checked out of a pool (pages and API; ballots).",
    ["pool"],
    multiprocess_mode="livesum",
)
pool_size = Gauge(
    "hailong_db_pool_size",
    "Connections a pool keeps (it may open as many again as overflow).",
    ["pool"],
    multiprocess_mode="livesum",
)


_watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch_pool(engine: Engine, name: str) -> None:
    """Count ``engine``'s connections in use as they are checked out and back in (once per
    engine, however many apps a process builds on it)."""
    if engine in _watched:
        return
    _watched.add(engine)
    in_use = pool_in_use.labels(pool=name)
    size = getattr(engine.pool, "size", None)
    if callable(size):
        pool_size.labels(pool=name).set(size())

    def checkout(*_: Any) -> None:
        in_use.inc()

    def checkin(*_: Any) -> None:
        in_use.dec()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


def forget_this_process() -> None:
    """At a worker's clean exit: its live gauges (streams, connections) stop counting."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
