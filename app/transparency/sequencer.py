"""Giving waiting ballots and decisions their place in the log, and signing its heads.

A ballot's transaction (or a decision's) writes a ``log_pending`` row beside it, so nothing
acknowledged can miss the log; every ``HAILONG_LOG_SECONDS`` one worker at a time takes what
waits, in that table's order, appends the entries with the hashes their tiles need, and signs
a checkpoint of the new tree. Kept off the ballot's own transaction: one global order would make
every office's ballots wait for each other, while now they only share a row insert.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import anyio
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from app.core.bulk import any_of, bulk
from app.core.db import WRITE
from app.models import LogPending
from app.models.types import utcnow
from app.transparency import tree
from app.transparency.ballot_entries import entries_of
from app.transparency.checkpoint import Checkpoint
from app.transparency.merkle import leaf_hash
from app.transparency.note import Signer

log = logging.getLogger("hailong.log")
PENDING = LogPending.__table__  # type: ignore[attr-defined]
LOG_LOCK = 8_405_003  # the advisory lock one sequencer at a time holds (PostgreSQL)
CHUNK = 5_000  # entries a transaction appends: a migrated log of millions goes in steps


def wait(
    conn: Connection, ballot_ids: Sequence[int] = (), exclusion_ids: Sequence[int] = ()
) -> None:
    """Queue ballots, then decisions, for the log in the caller's transaction (the ballot
    writer's batch: by COPY on PostgreSQL)."""
    sql = bulk(conn)
    if ballot_ids:
        sql.copy(conn, PENDING, ("ballot_id",), [[b] for b in ballot_ids])
    if exclusion_ids:
        sql.copy(conn, PENDING, ("exclusion_id",), [[e] for e in exclusion_ids])


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK})


def append(conn: Connection, limit: int = CHUNK) -> int:
    """Append up to ``limit`` waiting entries, in the caller's (writing) transaction; how
    many."""
    _lock(conn)
    waiting = conn.execute(
        sa.select(PENDING.c.id, PENDING.c.ballot_id, PENDING.c.exclusion_id)
        .order_by(PENDING.c.id)
        .limit(limit)
    ).all()
    if not waiting:
        return 0
    found = entries_of(conn, [(r.ballot_id, r.exclusion_id) for r in waiting])
    start = tree.size(conn)
    rows = []
    for offset, (item, data) in enumerate(zip(waiting, found, strict=True)):
        if data is None:  # a foreign key in all but name: the rows are never deleted
            raise LookupError(f"the log waits for a row that is gone: {item}")
        rows.append(
            {
                "idx": start + offset,
                "hash": leaf_hash(data),
                "ballot_id": item.ballot_id,
                "exclusion_id": item.exclusion_id,
            }
        )
    conn.execute(tree.ENTRY.insert(), rows)
    conn.execute(PENDING.delete().where(any_of(conn, PENDING.c.id, [r.id for r in waiting])))
    tree.add_nodes(conn, start, start + len(rows))
    return len(rows)


def sign(conn: Connection, signer: Signer, now: datetime | None = None) -> tree.Signed | None:
    """A checkpoint of the tree as it is, unless the latest already covers it (or it is the
    first, of the empty tree)."""
    size = tree.size(conn)
    last = tree.latest(conn)
    if last is not None and last.size >= size:
        return None
    head = tree.Heads(conn).root(size)
    note = Checkpoint(signer.name, size, head).signed(signer)
    conn.execute(
        tree.CHECKPOINT.insert().values(size=size, root=head, note=note, issued_at=now or utcnow())
    )
    return tree.Signed(size, head, note)


@dataclass(frozen=True)
class Round:
    appended: int
    signed: tree.Signed | None


def run_once(engine: Engine, signer: Signer | None) -> Round:
    """Append everything waiting (a transaction per ``CHUNK``), then sign the new head."""
    appended = 0
    while True:
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            done = append(conn)
            appended += done
            signed = sign(conn, signer) if signer is not None and done < CHUNK else None
        if done < CHUNK:
            return Round(appended, signed)


async def run_log(engine: Engine, signer: Signer | None, every: float) -> None:
    """Until cancelled (the app's shutdown): a round every ``every`` seconds. Workers take
    turns through the lock; a worker that finds nothing waiting signs nothing."""
    while True:
        await asyncio.sleep(every)
        try:
            done = await anyio.to_thread.run_sync(run_once, engine, signer)
            if done.appended or done.signed:
                size = done.signed.size if done.signed else None
                log.info("log: %d entries appended; checkpoint %s", done.appended, size)
        except Exception:  # tried again next round; ballots wait safely meanwhile
            log.exception("the public log's round failed")
