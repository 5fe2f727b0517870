"""The log's tree as the database keeps it: each leaf's hash beside its ballot or decision,
and the head of every full subtree of 2^8, 2^16, 2^24 … leaves (``log_node``). Those are
exactly the hashes the C2SP tiles hold, so a tile is one range read, and any subtree's head
(for a tree head or a proof) is at most 128 stored hashes folded together, never the leaves
below rehashed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from app.models import LogCheckpoint, LogEntry, LogNode
from app.transparency.ballot_entries import entries_of
from app.transparency.merkle import consistency_path, inclusion_path, node_hash, root, split
from app.transparency.tiles import WIDTH, Tile, bundle

ENTRY = LogEntry.__table__  # type: ignore[attr-defined]
NODE = LogNode.__table__  # type: ignore[attr-defined]
CHECKPOINT = LogCheckpoint.__table__  # type: ignore[attr-defined]
STEP = 8  # tree levels per tile level: a tile is 2^8 = 256 hashes


def size(conn: Connection) -> int:
    """How many leaves the log holds (signed or not yet)."""
    last = conn.execute(sa.select(sa.func.max(ENTRY.c.idx))).scalar()
    return 0 if last is None else int(last) + 1


def hashes(conn: Connection, level: int, start: int, end: int) -> list[bytes]:
    """The stored hashes at tree ``level`` (0: the leaves; 8, 16, …: full subtrees), indexes
    [start, end), in order."""
    if level == 0:
        query = sa.select(ENTRY.c.hash).where(ENTRY.c.idx >= start, ENTRY.c.idx < end)
        query = query.order_by(ENTRY.c.idx)
    else:
        query = sa.select(NODE.c.hash).where(
            NODE.c.level == level, NODE.c.idx >= start, NODE.c.idx < end
        )
        query = query.order_by(NODE.c.idx)
    found = [bytes(h) for h in conn.execute(query).scalars()]
    if len(found) != end - start:
        raise LookupError(f"the log holds no hashes [{start}, {end}) at level {level}")
    return found


class Heads:
    """Heads of ranges of the stored tree, each read once: MTH(D[start:end])."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._known: dict[tuple[int, int], bytes] = {}

    def __call__(self, start: int, end: int) -> bytes:
        known = self._known.get((start, end))
        if known is not None:
            return known
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:  # a full subtree: fold the stored level below
            level = (n.bit_length() - 1) // STEP * STEP
            head = root(hashes(self.conn, level, start >> level, end >> level))
        else:
            k = split(n)
            head = node_hash(self(start, start + k), self(start + k, end))
        self._known[(start, end)] = head
        return head

    def root(self, size: int) -> bytes:
        return root([]) if size == 0 else self(0, size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_path(self, index, size)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return [] if old in (0, new) else consistency_path(self, old, new)


def add_nodes(conn: Connection, old: int, new: int) -> None:
    """Store the heads of the full subtrees the leaves [old, new) completed, level by level."""
    level = STEP
    while new >> level > old >> level:
        first, last = old >> level, new >> level
        below = hashes(conn, level - STEP, first * WIDTH, last * WIDTH)
        rows = [
            {"level": level, "idx": first + i, "hash": root(below[i * WIDTH : (i + 1) * WIDTH])}
            for i in range(last - first)
        ]
        conn.execute(NODE.insert(), rows)
        level += STEP


@dataclass(frozen=True)
class Signed:
    size: int
    root: bytes
    note: str


def latest(conn: Connection) -> Signed | None:
    """The latest checkpoint, as served."""
    row = conn.execute(
        sa.select(CHECKPOINT.c.size, CHECKPOINT.c.root, CHECKPOINT.c.note)
        .order_by(CHECKPOINT.c.size.desc())
        .limit(1)
    ).first()
    return None if row is None else Signed(row.size, bytes(row.root), row.note)


def tile(conn: Connection, wanted: Tile, signed: int) -> bytes:
    """A tile's hashes, or an entry bundle's entries (as ``tiles.bundle`` joins them), if the
    tree of the latest checkpoint (``signed`` leaves) holds all of it; ``LookupError`` if not."""
    level = max(wanted.level, 0) * STEP
    start = wanted.index * WIDTH
    if start + wanted.width > signed >> level:
        raise LookupError("the signed tree does not hold this tile")
    if wanted.level >= 0:
        return b"".join(hashes(conn, level, start, start + wanted.width))
    return bundle(entries(conn, start, start + wanted.width))


def entries(conn: Connection, start: int, end: int) -> list[bytes]:
    """The entries [start, end), each derived from its rows now (``ballot_entries``);
    ``LookupError`` naming the first whose row is gone."""
    refs = conn.execute(
        sa.select(ENTRY.c.idx, ENTRY.c.ballot_id, ENTRY.c.exclusion_id)
        .where(ENTRY.c.idx >= start, ENTRY.c.idx < end)
        .order_by(ENTRY.c.idx)
    ).all()
    found = entries_of(conn, [(r.ballot_id, r.exclusion_id) for r in refs])
    missing = next((r.idx for r, data in zip(refs, found, strict=True) if data is None), None)
    if missing is not None or len(found) != end - start:
        raise LookupError(f"the database no longer holds the rows of entry {missing}")
    return [data for data in found if data is not None]
