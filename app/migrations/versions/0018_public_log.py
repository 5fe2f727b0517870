"""the public log: ballots and decisions waiting for their place, the log's entries, the
subtree heads its tiles are served from, its signed checkpoints; what kind each decision is; whether an office publishes
its results (inherited down the tree)

Every ballot stored before this revision, then every decision, waits for its place in id order:
the sequencer gives them the log's first indexes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import BigIntPK, UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("office") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=True))
    with op.batch_alter_table("exclusion") as batch:
        batch.add_column(sa.Column("category", sa.String(length=64), nullable=True))
    op.create_table(
        "log_pending",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=True),
        sa.Column("exclusion_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_pending")),
    )
    op.create_table(
        "log_entry",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=True),
        sa.Column("exclusion_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entry")),
    )
    op.create_index("ix_log_entry_ballot_id", "log_entry", ["ballot_id"])
    op.create_index("ix_log_entry_exclusion_id", "log_entry", ["exclusion_id"])
    op.create_table(
        "log_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_node")),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoint")),
    )
    op.execute("INSERT INTO log_pending (ballot_id) SELECT id FROM ballot ORDER BY id")
    op.execute("INSERT INTO log_pending (exclusion_id) SELECT id FROM exclusion ORDER BY id")


def downgrade() -> None:
    op.drop_table("log_checkpoint")
    op.drop_table("log_node")
    op.drop_index("ix_log_entry_exclusion_id", table_name="log_entry")
    op.drop_index("ix_log_entry_ballot_id", table_name="log_entry")
    op.drop_table("log_entry")
    op.drop_table("log_pending")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch would copy the office table,
    # which rows of other tables refer to.
    op.drop_column("exclusion", "category")
    op.drop_column("office", "public")
