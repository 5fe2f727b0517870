"""When a message that could not be delivered is tried again: the Standard Webhooks schedule
(at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: 27 h 35 min in all), mail the same,
each wait stretched or shrunk by up to a fifth at random so that a receiver back from an
outage is not hit by every sender in the same second."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
ATTEMPTS = len(DELAYS) + 1  # the first, at once, and one after each wait
JITTER = 0.2


def next_try(attempts: int, now: datetime, rng: random.Random | None = None) -> datetime | None:
    """After ``attempts`` failed tries, when to try again; None: give up."""
    if attempts >= ATTEMPTS:
        return None
    wait = DELAYS[attempts - 1]
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return now + wait * spread
