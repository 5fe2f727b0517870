"""rollups by ballot source: an office's policy on which sources count applies when reading

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (the key before the source, the counted columns)
TABLES = {
    "answer_rollup": (
        [
            ("office_id", sa.Integer()),
            ("survey_key", sa.String(length=64)),
            ("survey_version", sa.Integer()),
            ("grain", sa.String(length=1)),
            ("start", sa.Date()),
            ("question_key", sa.String(length=64)),
            ("value", sa.SmallInteger()),
        ],
        ["n"],
        ["office_id", "survey_key", "grain", "start", "survey_version", "question_key", "value"],
    ),
    "ballot_rollup": (
        [
            ("office_id", sa.Integer()),
            ("survey_key", sa.String(length=64)),
            ("survey_version", sa.Integer()),
            ("grain", sa.String(length=1)),
            ("start", sa.Date()),
            ("level", sa.SmallInteger()),
        ],
        ["n"],
        ["office_id", "survey_key", "grain", "start", "survey_version", "level"],
    ),
    "ballot_moments": (
        [
            ("office_id", sa.Integer()),
            ("survey_key", sa.String(length=64)),
            ("survey_version", sa.Integer()),
            ("grain", sa.String(length=1)),
            ("start", sa.Date()),
            ("criteria", sa.String(length=64)),
        ],
        ["ballots", "n", "k", "kk", "kn", "nn"],
        ["office_id", "survey_key", "grain", "start", "survey_version", "criteria"],
    ),
    "criteria_rollup": (
        [
            ("office_id", sa.Integer()),
            ("criteria", sa.String(length=64)),
            ("grain", sa.String(length=1)),
            ("start", sa.Date()),
            ("question_key", sa.String(length=64)),
        ],
        [
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
        ],
        ["office_id", "criteria", "grain", "start", "question_key"],
    ),
}


def _create(name: str, with_source: bool) -> None:
    columns, sums, key = TABLES[name]
    extra = [sa.Column("source", sa.String(length=16), nullable=False)] if with_source else []
    op.create_table(
        name,
        *(sa.Column(column, kind, nullable=False) for column, kind in columns),
        *extra,
        *(sa.Column(column, sa.BigInteger(), nullable=False) for column in sums),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f(f"fk_{name}_office_id_office")
        ),
        sa.PrimaryKeyConstraint(
            *key, *(["source"] if with_source else []), name=op.f(f"pk_{name}")
        ),
        sqlite_with_rowid=False,
    )


def _recount() -> None:
    from app.core.config import get_settings
    from app.stats.recount import rebuild
    from app.stats.rollups import ALL_TABLES
    from app.surveys.catalog import load_catalog

    settings = get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)
    rebuild(op.get_bind(), tables=ALL_TABLES, criteria=catalog.criteria)


def upgrade() -> None:
    # Counts are derived data: the tables are made again with the source in their key (SQLite
    # cannot change a primary key in place) and recounted from the ballots.
    for name in TABLES:
        op.drop_table(name)
        _create(name, with_source=True)
    _recount()


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
        _create(name, with_source=False)
    _recount()
