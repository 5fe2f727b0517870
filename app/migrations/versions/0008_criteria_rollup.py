"""criteria rollup: the shared criteria pre-summed by category across surveys and versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "very_satisfied",
    "satisfied",
    "neutral",
    "dissatisfied",
    "very_dissatisfied",
    "unclassified",
    "ballots",
    "n",
    "k",
    "kk",
    "kn",
    "nn",
)


def upgrade() -> None:
    op.create_table(
        "criteria_rollup",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.String(length=64), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_criteria_rollup_office_id_office")
        ),
        sa.PrimaryKeyConstraint(
            "office_id",
            "criteria",
            "grain",
            "start",
            "question_key",
            name=op.f("pk_criteria_rollup"),
        ),
        sqlite_with_rowid=False,
    )
    # Count the ballots stored before, with the shared criteria the survey files declare now.
    from app.core.config import get_settings
    from app.stats.recount import rebuild
    from app.surveys.catalog import load_catalog

    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    rebuild(op.get_bind(), tables=("compared",), criteria=catalog.criteria)


def downgrade() -> None:
    op.drop_table("criteria_rollup")
