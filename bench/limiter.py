"""What a rating's limit check costs on the event loop with many senders counted in this process:
the app's in-process limits (``app/signals/limiter.py``: ``limits``' own memory store, spread over
``LOCAL_STORES`` of them) against the baseline of one such store, in the same run.

    python bench/limiter.py [--keys 0,25000,50000] [--hits 3000]

``--keys`` senders are counted first (a province's phones over a day is ~50,000), then ``--hits``
more ratings from new senders are timed one by one, each awaited as a request awaits it, with
the event loop let run after each, as a server's runs between requests. The library sweeps every
live key of a store for expired ones in a task it schedules after each hit; that sweep is what
grows with the keys. Target: at 50,000 live keys, a check costs at most a tenth of the one store's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from limits.aio.storage import MemoryStorage  # noqa: E402
from limits.aio.strategies import SlidingWindowCounterRateLimiter  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.signals.limiter import Client, RatingLimits  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


class OneStore(RatingLimits):
    """The baseline: every count in a single memory store of the library."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._one = SlidingWindowCounterRateLimiter(MemoryStorage())

    def _local_for(self, tag: str) -> SlidingWindowCounterRateLimiter:
        return self._one


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
    parser.add_argument("--keys", default="0,25000,50000")
    parser.add_argument("--hits", type=int, default=3000)
    args = parser.parse_args()
    settings = Settings(
        secret_key=SECRET,
        limit_device="1000000 per minute",
        limit_address="1000000 per minute",
    )
    print(f"{'live keys':>10} {'one store µs':>13} {'app µs':>8} {'ratio':>6}")
    for keys in (int(k) for k in args.keys.split(",")):
        one = asyncio.run(_measure(OneStore(settings), keys, args.hits))
        app = asyncio.run(_measure(RatingLimits(settings), keys, args.hits))
        print(f"{keys:>10,} {one:>13.1f} {app:>8.1f} {app / one:>6.2f}")


if __name__ == "__main__":
    main()
