"""What the log publishes, read for the web: the latest checkpoint, tiles and entry bundles
within it, and a ballot's inclusion proof."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from app.transparency import tree
from app.transparency.proof import TlogProof
from app.transparency.tiles import WIDTH, Tile, TileError, parse_path


class NotPublished(LookupError):
    """Nothing signed says this yet (or ever): no checkpoint, a tile beyond the signed tree,
    a ballot not yet covered."""


def checkpoint_size(conn: Connection) -> int | None:
    """The size of the latest checkpoint, if any."""
    size = conn.execute(sa.select(sa.func.max(tree.CHECKPOINT.c.size))).scalar()
    return None if size is None else int(size)


def version(conn: Connection) -> int | None:
    """What changes whenever a ballot or a decision enters the log: the latest checkpoint's
    size, or without signed checkpoints the log's size."""
    signed = checkpoint_size(conn)
    return tree.size(conn) if signed is None else signed


def checkpoint(conn: Connection) -> str:
    signed = tree.latest(conn)
    if signed is None:
        raise NotPublished("the log has signed no checkpoint yet")
    return signed.note


def tile(conn: Connection, path: str) -> tuple[bytes, bool]:
    """The tile or entry bundle at ``path`` (``tile/…``) and whether it is full (never
    changes). ``TileError`` for a path that is not a tile's, ``NotPublished`` for a tile the
    latest checkpoint does not hold."""
    wanted: Tile = parse_path(path)
    signed = tree.latest(conn)
    try:
        data = tree.tile(conn, wanted, signed.size if signed else 0)
    except LookupError as exc:
        raise NotPublished(str(exc)) from exc
    return data, wanted.width == WIDTH


def ballot_proof(conn: Connection, ballot_id: int) -> TlogProof:
    """The proof that the ballot's entry is in the tree of the latest checkpoint, with the
    entry itself as the proof's extra data, so the file is all a verifier needs."""
    index = conn.execute(
        sa.select(tree.ENTRY.c.idx).where(tree.ENTRY.c.ballot_id == ballot_id)
    ).scalar()
    signed = tree.latest(conn)
    if index is None or signed is None or index >= signed.size:
        raise NotPublished("no checkpoint covers this ballot yet")
    [data] = tree.entries(conn, index, index + 1)
    hashes = tree.Heads(conn).inclusion(index, signed.size)
    return TlogProof(index, tuple(hashes), signed.note, data)


__all__ = [
    "NotPublished",
    "TileError",
    "ballot_proof",
    "checkpoint",
    "checkpoint_size",
    "tile",
    "version",
]
