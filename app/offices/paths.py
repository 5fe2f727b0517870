"""Where offices sit, read inside a writing transaction, and the lock that keeps moving an office
from racing with ballots being counted.

Every ballot is counted in its office's rollups and in each ancestor's (``app/stats/rollups.py``),
so a province's figures are its own rows, not a sum over its units. Moving an office to another
parent moves its counts too; on PostgreSQL a transaction-scoped advisory lock orders the two:
writers counting ballots share it, a move holds it alone, so no ballot is counted under an
ancestor the office has just left. On SQLite the write lock, taken when a writing transaction
begins, already does that.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.bulk import bulk

TREE_LOCK = 0x68616970617468  # "haipath": any constant the application uses for nothing else


def share_tree(conn: Connection) -> None:
    """Counting ballots: no office may move until this transaction ends."""
    if conn.dialect.name == "postgresql":  # through ``bulk``: it may run in the writer's pipeline
        bulk(conn).run(conn, "SELECT pg_advisory_xact_lock_shared(%s)", [TREE_LOCK])


def hold_tree(conn: Connection) -> None:
    """Moving offices: wait for the transactions counting ballots, keep new ones out until
    this one ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": TREE_LOCK})


def ancestors(conn: Connection, office_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Each office's id and its ancestors', nearest first, in one query."""
    ids = sorted(set(office_ids))
    if not ids:
        return {}
    sql = bulk(conn)
    match, params = sql.one_of("id", ids)
    rows = sql.fetch(
        conn,
        "WITH RECURSIVE up(office, id, parent, depth) AS ("  # noqa: S608 - constant names
        f"SELECT id, id, parent_id, 0 FROM office WHERE {match} "
        "UNION ALL SELECT up.office, o.id, o.parent_id, up.depth + 1 "
        "FROM office o JOIN up ON o.id = up.parent WHERE up.depth < 64) "
        "SELECT office, id FROM up ORDER BY office, depth",
        params,
    )
    found: dict[int, list[int]] = {}
    for office, ancestor in rows:
        found.setdefault(office, []).append(ancestor)
    return {office: tuple(path) for office, path in found.items()}
