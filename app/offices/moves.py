"""An office moved to another parent takes its counts along: every ancestor's rollup rows count
its whole sub-tree (``rollups.add``), so the sub-tree's rows leave the ancestors the office left
and join those it joined, in the move's transaction."""

from __future__ import annotations

from sqlalchemy import Connection, Table, text

from app.models import AnswerRollup, BallotMoments, BallotRollup, CriteriaRollup, DossierRollup
from app.offices.paths import ancestors, hold_tree


def _key_and_sums(model: type) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A pre-summed table: its key is its primary key, everything else is a sum."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    key = tuple(c.name for c in table.primary_key.columns)
    return table.name, key, tuple(c.name for c in table.columns if c.name not in key)


TABLES = tuple(
    _key_and_sums(model)
    for model in (AnswerRollup, BallotRollup, BallotMoments, CriteriaRollup, DossierRollup)
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
        rest = ", ".join(k for k in key if k != "office_id")
        added = ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sums)
        statement = text(
            f"INSERT INTO {table} (office_id, {rest}, {', '.join(sums)}) "  # noqa: S608
            f"SELECT :ancestor, {rest}, {', '.join(f':sign * {s}' for s in sums)} "
            f"FROM {table} WHERE office_id = :office "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
        )
        for ancestor, sign in changes:
            conn.execute(statement, {"ancestor": ancestor, "sign": sign, "office": office_id})
