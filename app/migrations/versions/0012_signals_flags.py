"""signals beside each ballot, detector flags, inspectors' reviews, day keys; staff networks
and opening hours of offices

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import BigIntPK, UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("office") as batch:
        batch.add_column(sa.Column("staff_networks", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("opening_hours", sa.String(length=200), nullable=True))
    op.create_table(
        "ballot_signal",
        sa.Column("ballot_id", BigIntPK, nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("address_hash", sa.String(length=32), nullable=True),
        sa.Column("device_hash", sa.String(length=32), nullable=True),
        sa.Column("form_nonce", sa.String(length=32), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("staff_network", sa.Boolean(), nullable=False),
        sa.Column("off_hours", sa.Boolean(), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_signal_ballot_id_ballot")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_ballot_signal_office_id_office")
        ),
        sa.PrimaryKeyConstraint("ballot_id", name=op.f("pk_ballot_signal")),
    )
    op.create_index("ix_ballot_signal_office_at", "ballot_signal", ["office_id", "at"])
    op.create_index("ix_ballot_signal_form_nonce", "ballot_signal", ["form_nonce"])
    op.create_table(
        "ballot_flag",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("ballot_id", BigIntPK, nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("ballot_at", UTCDateTime(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_flag_ballot_id_ballot")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_ballot_flag_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_flag")),
        sa.UniqueConstraint(
            "ballot_id", "rule", "version", name=op.f("uq_ballot_flag_ballot_id_rule_version")
        ),
    )
    op.create_index("ix_ballot_flag_office_ballot_at", "ballot_flag", ["office_id", "ballot_at"])
    op.create_table(
        "flag_review",
        sa.Column("flag_id", BigIntPK, nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("cluster", sa.String(length=160), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["ballot_flag.id"], name=op.f("fk_flag_review_flag_id_ballot_flag")
        ),
        sa.PrimaryKeyConstraint("flag_id", name=op.f("pk_flag_review")),
    )
    op.create_table(
        "signal_key",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_signal_key")),
    )
    op.create_table(
        "signal_scan",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signal_scan")),
    )


def downgrade() -> None:
    for table in ("signal_scan", "signal_key", "flag_review", "ballot_flag", "ballot_signal"):
        op.drop_table(table)
    with op.batch_alter_table("office") as batch:
        batch.drop_column("opening_hours")
        batch.drop_column("staff_networks")
