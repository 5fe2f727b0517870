"""ballot level: each ballot's level under its survey's rule, kept beside it (derived, not chained)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ballot", sa.Column("level", sa.SmallInteger(), nullable=True))
    from app.stats.recount import backfill_levels

    backfill_levels(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("level")
