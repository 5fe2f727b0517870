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
import zlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from app.core.config import Settings
from app.core.errors import DomainError
from app.signals.keys import mac

log = logging.getLogger("hailong.limits")
RETRY_REDIS_SECONDS = 30.0


# In-process counts are spread over this many of ``limits``' own memory stores, each key always in
# the same one, each store made when first needed. After every hit the library sweeps every live
# key of its store for expired ones, in a task on the event loop: with one store holding a
# province's phones of a day (50,000 keys) a rating cost ~9 ms of the loop. Spread over 1,024
# stores, a check still cost 145-170 µs at 140,000 live keys (the senders of two minutes of
# bench/submit.py); over 8,192, 47 µs, against 35-40 µs with none (bench/limiter.py).
LOCAL_STORES = 8192
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


class RatingLimits:
    def __init__(self, settings: Settings) -> None:
        self.device = parse_many(settings.limit_device)
        self.address = parse_many(settings.limit_address)
        self._key = hmac.new(
            settings.secret_key.get_secret_value().encode(), b"rate-limit", hashlib.sha256
        ).digest()
        self._local: dict[int, SlidingWindowCounterRateLimiter] = {}
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
                limiter = shared or self._local_for(tag)
                stats = await self._bounded(
                    limiter.get_window_stats(item, "rating", kind, tag), shared
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
        return [
            await (shared or self._local_for(tag)).hit(item, "rating", kind, tag)
            for item, kind, tag in checks
        ]

    def _local_for(self, tag: str) -> SlidingWindowCounterRateLimiter:
        """The in-process store that counts ``tag`` (always the same one)."""
        slot = zlib.crc32(tag.encode()) % LOCAL_STORES
        limiter = self._local.get(slot)
        if limiter is None:
            limiter = self._local[slot] = SlidingWindowCounterRateLimiter(MemoryStorage())
        return limiter

    def _shared_up(self) -> bool:
        return self.shared is not None and time.monotonic() >= self._redis_down_until
