"""Keep the cyclic garbage collector off what lives for the whole process."""

from __future__ import annotations

import gc

_settled = False
# The young generation is collected after 20,000 allocations instead of 700. Thousands of open
# live streams keep hundreds of thousands of objects alive; each young collection promotes the
# few that survive it, and every few promotions may start a full collection, which walks all of
# the streams' objects. Fewer, larger young collections promote far less (most objects of a
# request or a push die within it). ``bench/streams_gc.py`` (2,000 streams pushed 20 times a
# second for 15 s): default thresholds, 12–15 full collections, the longest 176–271 ms, 1.7–3.3 s
# paused in all; these, no full collection, 0.17x the time paused, the longest 29–138 ms.
THRESHOLDS = (20_000, 20, 10)


def settle_heap() -> None:
    """Move everything alive after start-up (modules, the survey catalog, compiled templates and
    queries) out of the collector's reach, once per process.

    A full collection walks every tracked object: with the framework's few hundred thousand
    start-up objects in the heap, a province overview that makes ~20,000 short-lived rows
    spent a third of its time in collections (72 ms against 47 ms with collections of the
    start-up heap skipped, in ``bench/dashboard.py``). Frozen objects are still freed when
    their last reference goes; only cycles among them are kept, which start-up objects never
    leave behind."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
