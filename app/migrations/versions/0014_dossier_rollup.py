"""dossiers counted per office (and every ancestor), bucket and rating, as ballots are

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_rollup",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("survey_key", sa.String(length=64), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("registered", "returned", "late")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_dossier_rollup_office_id_office")
        ),
        sa.PrimaryKeyConstraint(
            "office_id",
            "grain",
            "start",
            "survey_key",
            "survey_version",
            "level",
            name=op.f("pk_dossier_rollup"),
        ),
        sqlite_with_rowid=False,
    )
    # The dossiers reported before: counted from the raw rows, as the figures read them until now.
    from app.stats.dossier_rollup import recount

    recount(op.get_bind())


def downgrade() -> None:
    op.drop_table("dossier_rollup")
