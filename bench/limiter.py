"""What a rating's limit check costs on the event loop with many senders counted in this process:
the app's own counts (``LocalCounts`` in ``app/signals/limiter.py``) against the ``limits``
library's memory store, as one store and as the app spread its counts before (over 8,192 of the
library's stores, each made when first needed), in the same run.

    python bench/limiter.py [--keys 0,50000,140000] [--hits 3000]

``--keys`` senders are counted first (a province's phones over a day is ~50,000; two minutes of
bench/submit.py leave ~140,000), then ``--hits`` more ratings from new senders are timed one by
one, each awaited as a request awaits it, with the event loop let run after each, as a server's
runs between requests. The library sweeps every live key of a store for expired ones in a task
it schedules after each hit; that sweep is what grows with the keys. Targets: at 50,000 live
keys a check costs at most a tenth of the one store's, and under half of the spread stores'.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from limits import RateLimitItem  # noqa: E402
from limits.aio.storage import MemoryStorage  # noqa: E402
from limits.aio.strategies import SlidingWindowCounterRateLimiter  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.signals.limiter import Client, RatingLimits  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


class LibraryStores(RatingLimits):
    """A baseline: the counts in ``stores`` of the library's memory stores, each key always in
    the same one (the app's in-process limits until this benchmark's change)."""

    def __init__(self, settings: Settings, stores: int) -> None:
        super().__init__(settings)
        self.stores = stores
        self.made: dict[int, SlidingWindowCounterRateLimiter] = {}

    async def _hit(
        self,
        checks: list[tuple[RateLimitItem, str, str]],
        shared: SlidingWindowCounterRateLimiter | None,
    ) -> list[bool]:
        return [await self._store(tag).hit(item, "rating", kind, tag) for item, kind, tag in checks]

    def _store(self, tag: str) -> SlidingWindowCounterRateLimiter:
        slot = zlib.crc32(tag.encode()) % self.stores
        if slot not in self.made:
            self.made[slot] = SlidingWindowCounterRateLimiter(MemoryStorage())
        return self.made[slot]


async def _measure(limits: RatingLimits, keys: int, hits: int) -> float:
    """Microseconds per check (median of ten groups), after ``keys`` senders are counted."""
    for n in range(keys):
        await limits.check(1, Client(address=f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"))
    await asyncio.sleep(0.05)  # let the last sweep finish
    groups = []
    for group in range(10):
        started = time.perf_counter()
        for n in range(hits // 10):
            await limits.check(2, Client(address=f"172.16.{group}.{n % 256}", device=f"{n:032x}"))
            # As a server's loop does between requests: run what the check scheduled (the
            # library's sweep of expired keys runs as a task of its own).
            await asyncio.sleep(0)
        groups.append((time.perf_counter() - started) / (hits // 10) * 1e6)
    return statistics.median(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", default="0,50000,140000")
    parser.add_argument("--hits", type=int, default=3000)
    args = parser.parse_args()
    settings = Settings(
        secret_key=SECRET,
        limit_device="1000000 per minute",
        limit_address="1000000 per minute",
    )
    print(f"{'live keys':>10} {'one store µs':>13} {'8,192 stores µs':>16} {'app µs':>8} "
          f"{'app/one':>8} {'app/8,192':>10}")  # fmt: skip
    for keys in (int(k) for k in args.keys.split(",")):
        one = asyncio.run(_measure(LibraryStores(settings, 1), keys, args.hits))
        spread = asyncio.run(_measure(LibraryStores(settings, 8192), keys, args.hits))
        app = asyncio.run(_measure(RatingLimits(settings), keys, args.hits))
        print(f"{keys:>10,} {one:>13.1f} {spread:>16.1f} {app:>8.1f} {app / one:>8.3f} "
              f"{app / spread:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
