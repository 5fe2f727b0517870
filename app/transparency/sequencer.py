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
import httpx
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from app.core.bulk import any_of, bulk
from app.core.config import Settings
from app.core.db import WRITE
from app.models import LogPending
from app.models.types import utcnow
from app.transparency import tree
from app.transparency.ballot_entries import entries_of
from app.transparency.checkpoint import Checkpoint
from app.transparency.cosigning import TIMEOUT, Peer, cosignatures
from app.transparency.merkle import leaf_hash
from app.transparency.note import NoteError, Signer, load_signer

log = logging.getLogger("hailong.log")
PENDING = LogPending.__table__  # type: ignore[attr-defined]
LOG_LOCK = 8_405_003  # the advisory lock one sequencer at a time holds (PostgreSQL)
ENTRY_COLUMNS = ("idx", "hash", "ballot_id", "exclusion_id")
CHUNK = 5_000  # entries a transaction appends: a migrated log of millions goes in steps


def wait(
    conn: Connection, ballot_ids: Sequence[int] = (), exclusion_ids: Sequence[int] = ()
) -> None:
    """Queue ballots, then decisions, for the log in the caller's transaction (the ballot
    writer's batch, in its pipeline on PostgreSQL)."""
    sql = bulk(conn)
    if ballot_ids:
        sql.insert(conn, PENDING, ("ballot_id",), [[b] for b in ballot_ids])
    if exclusion_ids:
        sql.insert(conn, PENDING, ("exclusion_id",), [[e] for e in exclusion_ids])


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
        rows.append([start + offset, leaf_hash(data), item.ballot_id, item.exclusion_id])
    bulk(conn).copy(conn, tree.ENTRY, ENTRY_COLUMNS, rows)
    conn.execute(PENDING.delete().where(any_of(conn, PENDING.c.id, [r.id for r in waiting])))
    tree.add_nodes(conn, start, start + len(rows))
    return len(rows)


def draft(conn: Connection, signer: Signer) -> tree.Signed | None:
    """A checkpoint of the tree as it is, signed but not yet published, unless the latest
    already covers it (the first is of the empty tree)."""
    size = tree.size(conn)
    last = tree.latest(conn)
    if last is not None and last.size >= size:
        return None
    head = tree.Heads(conn).root(size)
    return tree.Signed(size, head, Checkpoint(signer.name, size, head).signed(signer))


def publish(conn: Connection, signed: tree.Signed, now: datetime | None = None) -> bool:
    """Serve ``signed`` from now on (with the cosignatures added to its note); False if a
    checkpoint of that size is published already (another worker's round)."""
    _lock(conn)
    if conn.execute(
        sa.select(tree.CHECKPOINT.c.size).where(tree.CHECKPOINT.c.size == signed.size)
    ).first():
        return False
    values = {"size": signed.size, "root": signed.root, "note": signed.note}
    conn.execute(tree.CHECKPOINT.insert().values(**values, issued_at=now or utcnow()))
    return True


def sign(conn: Connection, signer: Signer, now: datetime | None = None) -> tree.Signed | None:
    """``draft`` and ``publish`` in one transaction, with no witness."""
    signed = draft(conn, signer)
    if signed is not None:
        publish(conn, signed, now)
    return signed


def log_keys(settings: Settings) -> tuple[Signer | None, list[Peer]]:
    """The log's signing key (``HAILONG_LOG_KEY_FILE``) and its witnesses
    (``HAILONG_LOG_WITNESSES``); ``NoteError`` naming the setting that does not hold one."""
    try:
        signer = load_signer(settings.log_key_file) if settings.log_key_file else None
    except NoteError as exc:
        raise NoteError(f"HAILONG_LOG_KEY_FILE: {exc}") from exc
    try:
        return signer, [Peer.parse(setting) for setting in settings.log_witnesses]
    except NoteError as exc:
        raise NoteError(f"HAILONG_LOG_WITNESSES: {exc}") from exc


@dataclass(frozen=True)
class Round:
    appended: int
    signed: tree.Signed | None


def run_once(
    engine: Engine,
    signer: Signer | None,
    peers: Sequence[Peer] = (),
) -> Round:
    """Append everything waiting (a transaction per ``CHUNK``), sign the new head, have the
    witnesses cosign it (outside any transaction: a slow witness must not hold the database's
    write lock) and publish it."""
    appended = 0
    while True:
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            done = append(conn)
            appended += done
        if done < CHUNK:
            break
    if signer is None:
        return Round(appended, None)
    with engine.connect() as conn:
        signed = draft(conn, signer)
        if signed is None:
            return Round(appended, None)
        if peers:
            heads, size = tree.Heads(conn), signed.size
            with httpx.Client(timeout=TIMEOUT) as http:
                lines = cosignatures(
                    list(peers),
                    signed.note,
                    signed.size,
                    lambda old: heads.consistency(old, size),
                    http,
                )
            signed = tree.Signed(signed.size, signed.root, signed.note + lines)
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        return Round(appended, signed if publish(conn, signed) else None)


async def run_log(
    engine: Engine, signer: Signer | None, every: float, peers: Sequence[Peer] = ()
) -> None:
    """Until cancelled (the app's shutdown): a round every ``every`` seconds. Workers take
    turns through the lock; a worker that finds nothing waiting signs nothing."""
    while True:
        await asyncio.sleep(every)
        try:
            done = await anyio.to_thread.run_sync(run_once, engine, signer, peers)
            if done.appended or done.signed:
                size = done.signed.size if done.signed else None
                log.info("log: %d entries appended; checkpoint %s", done.appended, size)
        except Exception:  # tried again next round; ballots wait safely meanwhile
            log.exception("the public log's round failed")
