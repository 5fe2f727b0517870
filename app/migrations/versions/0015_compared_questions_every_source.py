"""the compared rollup's question rows count every source together (source "*"); its ballot
rows stay by source

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("office_id", "criteria", "grain", "start", "question_key")
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
    # Each question's rows by source summed into one; a database counted by the code of this
    # revision already has them (0013 recounts with it), and the statement finds nothing to do.
    key, sums = ", ".join(KEY), ", ".join(SUMS)
    op.execute(
        sa.text(
            f"INSERT INTO criteria_rollup ({key}, source, {sums}) "  # noqa: S608
            f"SELECT {key}, '*', {', '.join(f'sum({s})' for s in SUMS)} FROM criteria_rollup "
            f"WHERE question_key <> '' AND source <> '*' GROUP BY {key} "
            f"ON CONFLICT ({key}, source) DO UPDATE SET "
            + ", ".join(f"{s} = criteria_rollup.{s} + excluded.{s}" for s in SUMS)
        )
    )
    op.execute(sa.text("DELETE FROM criteria_rollup WHERE question_key <> '' AND source <> '*'"))


def downgrade() -> None:
    # The split by source is not in the rows any more: counted again from the raw ballots.
    from app.core.config import get_settings
    from app.stats.recount import rebuild
    from app.surveys.catalog import load_catalog

    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    rebuild(
        op.get_bind(),
        tables=("compared",),
        criteria=catalog.criteria,
        subtrees=True,
        questions_by_source=True,
    )
