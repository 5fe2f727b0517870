"""ballot moments: per-ballot satisfied-of-answered sums for an interval with the ballot as unit

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ballot_moments",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("survey_key", sa.String(length=64), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("criteria", sa.String(length=64), nullable=False),
        sa.Column("ballots", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("k", sa.BigInteger(), nullable=False),
        sa.Column("kk", sa.BigInteger(), nullable=False),
        sa.Column("kn", sa.BigInteger(), nullable=False),
        sa.Column("nn", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_ballot_moments_office_id_office")
        ),
        sa.PrimaryKeyConstraint(
            "office_id",
            "survey_key",
            "grain",
            "start",
            "survey_version",
            "criteria",
            name=op.f("pk_ballot_moments"),
        ),
        sqlite_with_rowid=False,
    )
    # Count the ballots stored before, with the shared criteria the survey files declare now.
    from app.core.config import get_settings
    from app.stats.recount import rebuild
    from app.surveys.catalog import load_catalog

    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    rebuild(op.get_bind(), tables=("moments",), criteria=catalog.criteria)


def downgrade() -> None:
    op.drop_table("ballot_moments")
