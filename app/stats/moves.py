"""An office moved to another parent takes its counts along: every ancestor's rollup rows count
its whole sub-tree (``rollups.add``), so the sub-tree's rows leave the ancestors the office left
and join those it joined, in the move's transaction."""

from __future__ import annotations

from sqlalchemy import Connection, text

from app.offices.paths import ancestors, hold_tree
from app.stats.dossiers import DOSSIER_KEY, DOSSIER_SUMS
from app.stats.rollups import (
    ANSWER_KEY,
    BALLOT_KEY,
    COMPARED_KEY,
    COMPARED_SUMS,
    MOMENTS_KEY,
    MOMENTS_SUMS,
)

TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("answer_rollup", ANSWER_KEY, ("n",)),
    ("ballot_rollup", BALLOT_KEY, ("n",)),
    ("ballot_moments", MOMENTS_KEY, MOMENTS_SUMS),
    ("criteria_rollup", COMPARED_KEY, COMPARED_SUMS),
    ("dossier_rollup", DOSSIER_KEY, DOSSIER_SUMS),
)


def above(conn: Connection, office_id: int) -> tuple[int, ...]:
    """The office's ancestors, nearest first, once no ballot can be counted meanwhile."""
    hold_tree(conn)
    return ancestors(conn, [office_id]).get(office_id, (office_id,))[1:]


def move_counts(
    conn: Connection, office_id: int, before: tuple[int, ...], after: tuple[int, ...]
) -> None:
    """Take the office's counts out of the ancestors in ``before`` only and into those in
    ``after`` only (each nearest first, without the office itself)."""
    changes = [(a, -1) for a in before if a not in after] + [
        (a, 1) for a in after if a not in before
    ]
    for table, key, sums in TABLES:
        rest = ", ".join(key[1:])
        added = ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sums)
        statement = text(
            f"INSERT INTO {table} ({', '.join(key)}, {', '.join(sums)}) "  # noqa: S608
            f"SELECT :ancestor, {rest}, {', '.join(f':sign * {s}' for s in sums)} "
            f"FROM {table} WHERE office_id = :office "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
        )
        for ancestor, sign in changes:
            conn.execute(statement, {"ancestor": ancestor, "sign": sign, "office": office_id})
