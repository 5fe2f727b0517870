"""answers kept in their key's order on SQLite (WITHOUT ROWID): one tree instead of a table and
an index, so that an answer is found by its ballot and question in one step

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(*, rowid: bool) -> None:
    # PostgreSQL has no such choice: its tables are heaps with indexes either way.
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "answer", recreate="always", table_kwargs={"sqlite_with_rowid": rowid}
    ):
        pass


def upgrade() -> None:
    _recreate(rowid=False)


def downgrade() -> None:
    _recreate(rowid=True)
