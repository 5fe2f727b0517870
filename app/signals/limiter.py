"""Hard limits on the citizen channels: per device cookie and, more generously, per address,
for each office. The ``limits`` library keeps the counts: in this process by default, in Redis
when ``HAILONG_REDIS_URL`` is set, so that several workers or hosts count together.

If Redis cannot be reached, or does not answer within ``HAILONG_REDIS_TIMEOUT`` (a paused relay
accepts the connection and never answers), the counts fall back to this process for a while and
the log says so, once: a citizen's rating never waits on, nor is refused because of, the
limiter's store.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from app.core.config import Settings
from app.core.errors import DomainError
from app.signals.keys import mac

log = logging.getLogger("hailong.limits")
RETRY_REDIS_SECONDS = 30.0


T = TypeVar("T")


class TooManyRatings(DomainError):
    """Too many ratings from this device or address for this office; retry later."""

    status_code = 429
    code = "too_many_ratings"
    message_vi = (
        "Thiết bị hoặc mạng này vừa gửi rất nhiều phiếu đánh giá cho đơn vị này, nên phiếu "
        "vừa rồi chưa được nhận. Các phiếu đã gửi trước đó vẫn được lưu đầy đủ. Xin Ông/Bà "
        "thử lại sau ít phút, hoặc báo cán bộ tại quầy nếu cần giúp đỡ."
    )

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many ratings from this device or address; retry in {retry_after} s")
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Client:
    """Who sent a rating, raw, in memory only: never stored (see ``record.py``)."""

    address: str
    device: str | None = None


@dataclass
class _Windows:
    """One limit's counts by key: the current window's, and the one before it."""

    index: int = 0
    current: dict[str, int] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)


class LocalCounts:
    """The counts of one process, by the rule ``limits``' sliding-window counter applies in
    Redis: windows aligned on the limit's length, the previous window's count weighted by the
    share of it still inside the sliding window (tests/signals/test_local_counts.py holds the
    two to the same decisions). The library's own memory store took 36-46 µs of the event loop
    a check (a hit for the address and one for the device) even spread over 8,192 stores, and
    27 ms at 140,000 keys in one store, for its sweep of expired keys after each hit: under
    bench/submit.py's load the limits were an eighth of the loop's samples (py-spy). Here a
    check takes 12 µs whatever the keys, and a window's keys are dropped all at once when it
    is two windows old (bench/limiter.py)."""

    def __init__(self) -> None:
        self._limits: dict[RateLimitItem, _Windows] = {}

    def _windows(self, item: RateLimitItem, now: float) -> _Windows:
        index = int(now // item.get_expiry())
        windows = self._limits.get(item)
        if windows is None:
            windows = self._limits[item] = _Windows(index)
        elif windows.index != index:
            moved_one = index == windows.index + 1
            windows.previous = windows.current if moved_one else {}
            windows.current, windows.index = {}, index
        return windows

    def _weighted(self, item: RateLimitItem, key: str, now: float) -> tuple[float, _Windows]:
        windows = self._windows(item, now)
        expiry = item.get_expiry()
        left = expiry - now % expiry  # of the current window: the previous one's weight
        weighted = windows.previous.get(key, 0) * left / expiry + windows.current.get(key, 0)
        return weighted, windows

    def hit(self, item: RateLimitItem, key: str, now: float) -> bool:
        """Count one for ``key`` unless its limit is reached (then nothing is counted)."""
        weighted, windows = self._weighted(item, key, now)
        if math.floor(weighted) + 1 > item.amount:
            return False
        windows.current[key] = windows.current.get(key, 0) + 1
        return True

    def reset_in(self, item: RateLimitItem, key: str, now: float) -> float:
        """Seconds until ``key`` may be counted again, as the library reckons them."""
        windows, expiry = self._windows(item, now), item.get_expiry()
        left = expiry - now % expiry
        previous, current = windows.previous.get(key, 0), windows.current.get(key, 0)
        waits = [left % (expiry / previous)] if previous else []
        if current:
            waits.append(left)
        return min(waits, default=0.0)


class RatingLimits:
    def __init__(self, settings: Settings) -> None:
        self.device = parse_many(settings.limit_device)
        self.address = parse_many(settings.limit_address)
        self._key = hmac.new(
            settings.secret_key.get_secret_value().encode(), b"rate-limit", hashlib.sha256
        ).digest()
        self._local = LocalCounts()
        self._storage: Storage | None = None
        self.shared: SlidingWindowCounterRateLimiter | None = None
        self.timeout = settings.redis_timeout
        if settings.redis_url:
            url = settings.redis_url.replace("redis://", "async+redis://", 1)
            url = url.replace("rediss://", "async+rediss://", 1)
            self._storage = RedisStorage(
                url,
                implementation="redispy",
                key_prefix=settings.redis_prefix,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
            )
            self.shared = SlidingWindowCounterRateLimiter(self._storage)
        self._redis_down_until = 0.0

    @property
    def state(self) -> str:
        """``shared`` (counted in Redis), ``degraded`` (Redis configured but failing: counted
        per process for now) or ``local`` (no Redis configured)."""
        if self.shared is None:
            return "local"
        return "shared" if self._shared_up() else "degraded"

    async def check_storage(self) -> bool:
        """Whether the shared store answers (at start-up, in the background: the app never
        waits on it); one that does not is left aside as when a rating finds it down."""
        if self._storage is None:
            return True
        try:
            ok = bool(await asyncio.wait_for(self._storage.check(), self.timeout))
        except Exception:
            ok = False
        if not ok:
            self._down("does not answer")
        return ok

    def _down(self, why: str) -> None:
        if self._shared_up():  # logged once per outage, not once per rating
            log.error(
                "Redis at HAILONG_REDIS_URL %s: limits count per process for %.0f s",
                why,
                RETRY_REDIS_SECONDS,
            )
        self._redis_down_until = time.monotonic() + RETRY_REDIS_SECONDS

    def _tag(self, value: str) -> str:
        # Keys in Redis name no address or cookie, only a keyed hash of them.
        return mac(self._key, value.encode())[:12].hex()

    def _checks(self, office_id: int, client: Client) -> list[tuple[RateLimitItem, str, str]]:
        checks = [(item, "address", self._tag(client.address)) for item in self.address]
        if client.device:
            checks += [(item, "device", self._tag(client.device)) for item in self.device]
        return [(item, kind, f"{office_id}:{tag}") for item, kind, tag in checks]

    async def check(self, office_id: int, client: Client) -> None:
        """Count one rating; ``TooManyRatings`` when any limit is already reached."""
        checks = self._checks(office_id, client)
        shared = self.shared if self._shared_up() else None
        try:
            allowed = await self._bounded(self._hit(checks, shared), shared)
        except Exception as exc:
            if shared is None:
                raise
            self._down("failed" if not isinstance(exc, TimeoutError) else "did not answer")
            shared = None
            allowed = await self._hit(checks, shared)
        refused = [c for c, ok in zip(checks, allowed, strict=True) if not ok]
        if refused:
            waits = []
            for item, kind, tag in refused:
                if shared is None:
                    waits.append(self._local.reset_in(item, f"{kind}:{tag}", time.time()))
                    continue
                stats = await self._bounded(
                    shared.get_window_stats(item, "rating", kind, tag), shared
                )
                waits.append(stats.reset_time - time.time())
            raise TooManyRatings(max(1, math.ceil(max(waits))))

    async def _bounded(self, work: Awaitable[T], shared: object | None) -> T:
        """In Redis, at most ``timeout`` seconds (the client's own retries included)."""
        return await (asyncio.wait_for(work, self.timeout) if shared is not None else work)

    async def _hit(
        self,
        checks: list[tuple[RateLimitItem, str, str]],
        shared: SlidingWindowCounterRateLimiter | None,
    ) -> list[bool]:
        if shared is None:
            now = time.time()
            return [self._local.hit(item, f"{kind}:{tag}", now) for item, kind, tag in checks]
        return [await shared.hit(item, "rating", kind, tag) for item, kind, tag in checks]

    def _shared_up(self) -> bool:
        return self.shared is not None and time.monotonic() >= self._redis_down_until
