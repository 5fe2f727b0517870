"""A process's own counts decide as the ``limits`` library's sliding-window counter does: the
same ratings allowed and refused, and the same wait, across windows."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from app.signals.limiter import LocalCounts
from tests.signals.test_limits import run_async


@pytest.mark.parametrize("limit", ["5 per 10 seconds", "3 per minute", "30 per day"])
def test_local_counts_agree_with_the_librarys_sliding_window(
    limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = parse(limit)
    expiry = item.get_expiry()
    clock = SimpleNamespace(now=1_780_000_000.0)
    # The library reads the time itself: both are given the same moments.
    fake = SimpleNamespace(time=lambda: clock.now)
    monkeypatch.setattr("limits.aio.storage.memory.time", fake)
    monkeypatch.setattr("limits.aio.strategies.time", fake)
    steps = random.Random(limit)
    quick = expiry / item.amount / 3  # three keys: now and then one over its limit
    mine = LocalCounts()

    async def both() -> list[tuple[bool, bool, float, float]]:
        theirs = SlidingWindowCounterRateLimiter(MemoryStorage())
        seen = []
        for _ in range(600):
            # Hits close together, now and then half a window or more apart.
            jump = steps.random()
            clock.now += (
                expiry * 1.5 if jump < 0.01 else expiry / 2 if jump < 0.03
                else steps.choice([0.0, 0.3, quick, quick, quick])
            )  # fmt: skip
            key = steps.choice(["a", "b", "c"])
            ours, lib = mine.hit(item, key, clock.now), await theirs.hit(item, key)
            wait = (await theirs.get_window_stats(item, key)).reset_time - clock.now
            seen.append((ours, lib, mine.reset_in(item, key, clock.now), wait))
        return seen

    seen = run_async(both())
    differ = [
        (n, step)
        for n, step in enumerate(seen)
        if step[0] != step[1] or abs(step[2] - step[3]) > 1e-6
    ]
    assert differ == []
    assert {ours for ours, *_ in seen} == {True, False}  # both outcomes reached
