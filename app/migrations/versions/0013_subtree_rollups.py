"""rollups count each office's whole sub-tree (every ballot also in each ancestor's rows); the
office tree's version token

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 20:30:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recount(subtrees: bool) -> None:
    from app.core.config import get_settings
    from app.stats.recount import rebuild
    from app.stats.rollups import ALL_TABLES
    from app.surveys.catalog import load_catalog

    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    rebuild(op.get_bind(), tables=ALL_TABLES, criteria=catalog.criteria, subtrees=subtrees)


def upgrade() -> None:
    op.create_table(
        "tree_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_version")),
    )
    op.execute(
        sa.text("INSERT INTO tree_version (id, token) VALUES (1, :token)").bindparams(
            token=uuid.uuid4().hex
        )
    )
    # Counts are derived data: recounted from the ballots, now into every ancestor too.
    _recount(subtrees=True)


def downgrade() -> None:
    op.drop_table("tree_version")
    _recount(subtrees=False)  # each office's own ballots only, as 0012's code counts them
