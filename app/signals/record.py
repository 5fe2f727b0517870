"""Signals and per-ballot flags, written in the same batch (and transaction) as the ballots.

The raw address and device cookie reach this module in memory and leave it only as keyed
hashes under the day's key. The per-ballot rules (``detectors.per_ballot``: too-fast,
staff-network, off-hours) need nothing but the ballot and its office, so they cost no extra
round trip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table

from app.core.bulk import Bulk, bulk
from app.core.hours import Hours, hour_of_week, is_open
from app.core.networks import Network, in_networks
from app.models import BallotFlag, BallotSignal
from app.models.types import utcnow
from app.signals import detectors, rules
from app.signals.keys import DayKeys, Stamp, day_of, hashed
from app.signals.limiter import Client

SIGNAL: Table = BallotSignal.__table__  # type: ignore[attr-defined]
FLAG: Table = BallotFlag.__table__  # type: ignore[attr-defined]
SIGNAL_COLUMNS = (
    "ballot_id",
    "office_id",
    "at",
    "source",
    "channel",
    "hour",
    "address_hash",
    "device_hash",
    "form_nonce",
    "seconds",
    "staff_network",
    "off_hours",
    "pattern",
    "level",
)
FLAG_COLUMNS = ("ballot_id", "office_id", "rule", "version", "evidence", "ballot_at", "at")
FLAG_CONFLICT = " ON CONFLICT (ballot_id, rule, version) DO NOTHING"
DAY_KEYS = DayKeys()
# Sources taken on the premises, where a rating outside opening hours is odd. A dossier's link
# is rated at home, at any hour, by design.
ON_SITE = ("open", "counter", "kiosk")


@dataclass(frozen=True)
class Observed:
    """What the request showed about a ballot's sender; ``stamp`` is the form's signed time
    (None when the form sent none, or a forged one); ``form`` says whether one was due."""

    client: Client
    stamp: Stamp | None = None
    form: bool = False


@dataclass(frozen=True)
class Taken:
    """A ballot just stored, with what its office says about hours and networks."""

    ballot_id: int
    office_id: int
    at: datetime
    source: str
    channel: str
    answers: dict[str, int]
    level: int
    hours: Hours
    staff: tuple[Network, ...]
    observed: Observed


def pattern(answers: dict[str, int]) -> str:
    blob = ";".join(f"{key}={value}" for key, value in sorted(answers.items()))
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def record(conn: Connection, taken: list[Taken], keys: DayKeys = DAY_KEYS) -> None:
    """Store each new ballot's signals and its per-ballot flags."""
    if not taken:
        return
    sql = bulk(conn)
    signals, flags = [], []
    now = utcnow()
    day_keys: dict[str, bytes] = {}
    for item in taken:
        stamp, client = item.observed.stamp, item.observed.client
        # From serving to sending. A form sent again (Back, a shared phone, or a script reusing
        # one slow form) is timed from its previous sending by the scan (``form_resent``): no
        # query here, so that taking a ballot costs no extra round trip.
        seconds = None if stamp is None else max(0.0, (item.at - stamp.served_at).total_seconds())
        day = day_of(item.at)
        key = day_keys.get(day) or day_keys.setdefault(day, keys.key(conn, day))
        staff = item.source != "kiosk" and in_networks(client.address, item.staff)
        off = item.source in ON_SITE and not is_open(item.hours, item.at)
        row = {
            "ballot_id": item.ballot_id,
            "office_id": item.office_id,
            "at": item.at,
            "source": item.source,
            "channel": item.channel,
            "hour": hour_of_week(item.at),
            "address_hash": hashed(key, "address", client.address),
            "device_hash": hashed(key, "device", client.device),
            "form_nonce": stamp.nonce if stamp is not None else None,
            "seconds": seconds,
            "staff_network": staff,
            "off_hours": off,
            "pattern": pattern(item.answers),
            "level": item.level,
        }
        signals.append(sql.row(SIGNAL, SIGNAL_COLUMNS, row))
        raised = detectors.per_ballot(
            form=item.observed.form,
            stamped=stamp is not None,
            questions=len(item.answers),
            seconds=seconds,
            staff=staff,
            off=off,
            at=item.at,
        )
        for rule, evidence in raised:
            flags.append(
                flag_row(sql, item.ballot_id, item.office_id, rule, evidence, item.at, now)
            )
    sql.insert(conn, SIGNAL, SIGNAL_COLUMNS, signals)
    if flags:
        sql.insert(conn, FLAG, FLAG_COLUMNS, flags, FLAG_CONFLICT)


def flag_row(
    sql: Bulk, ballot_id: int, office_id: int, rule: str, evidence: Any, at: datetime, now: datetime
) -> list[Any]:
    values = {
        "ballot_id": ballot_id,
        "office_id": office_id,
        "rule": rule,
        "version": rules.RULES[rule].version,
        "evidence": json.dumps(evidence, ensure_ascii=False, sort_keys=True),
        "ballot_at": at,
        "at": now,
    }
    return sql.row(FLAG, FLAG_COLUMNS, values)
