"""Hard limits on the citizen channels: per device cookie and, more generously, per address,
for each office. The ``limits`` library keeps the counts: in this process by default, in Redis
when ``HAILONG_REDIS_URL`` is set, so that several workers or hosts count together.

If Redis cannot be reached the counts fall back to this process for a while and the log says
so: a citizen's rating is never refused because the limiter's store is down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
import zlib
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from app.core.config import Settings
from app.core.errors import DomainError
from app.signals.keys import mac

log = logging.getLogger("hailong.limits")
RETRY_REDIS_SECONDS = 30.0


# In-process counts are spread over this many of ``limits``' own memory stores. After every hit
# the library sweeps every live key of its store for expired ones, on the event loop: one store
# holding a province's phones of a day (50,000 keys) cost ~350 µs a hit; each of 64 stores holds
# a 64th of the keys (bench/limiter.py).
LOCAL_STORES = 64


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
        self._local = [
            SlidingWindowCounterRateLimiter(MemoryStorage()) for _ in range(LOCAL_STORES)
        ]
        self._storage: Storage | None = None
        self.shared: SlidingWindowCounterRateLimiter | None = None
        if settings.redis_url:
            url = settings.redis_url.replace("redis://", "async+redis://", 1)
            url = url.replace("rediss://", "async+rediss://", 1)
            self._storage = RedisStorage(
                url, implementation="redispy", key_prefix=settings.redis_prefix
            )
            self.shared = SlidingWindowCounterRateLimiter(self._storage)
        self._redis_down_until = 0.0

    async def check_storage(self) -> bool:
        """At start-up: whether the shared store answers (logged loudly when it does not)."""
        if self._storage is None:
            return True
        try:
            ok = await self._storage.check()
        except Exception:
            ok = False
        if not ok:
            log.error("Redis at HAILONG_REDIS_URL does not answer: limits count per process")
        return ok

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
            allowed = await self._hit(checks, shared)
        except Exception:
            if shared is None:
                raise
            self._redis_down_until = time.monotonic() + RETRY_REDIS_SECONDS
            log.exception("Redis failed; limits count per process for %.0f s", RETRY_REDIS_SECONDS)
            shared = None
            allowed = await self._hit(checks, shared)
        refused = [c for c, ok in zip(checks, allowed, strict=True) if not ok]
        if refused:
            waits = []
            for item, kind, tag in refused:
                limiter = shared or self._local_for(tag)
                stats = await limiter.get_window_stats(item, "rating", kind, tag)
                waits.append(stats.reset_time - time.time())
            raise TooManyRatings(max(1, math.ceil(max(waits))))

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
        return self._local[zlib.crc32(tag.encode()) % LOCAL_STORES]

    def _shared_up(self) -> bool:
        return self.shared is not None and time.monotonic() >= self._redis_down_until
