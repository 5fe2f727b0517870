"""where ratings come from: integrations, devices, dossiers, counters serving, ballot provenance

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _credential_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "integration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        *_credential_columns(),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_integration_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_integration_token_hash")),
    )
    op.create_index(op.f("ix_integration_office_id"), "integration", ["office_id"])
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=True),
        *_credential_columns(),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_device_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_token_hash")),
    )
    op.create_index(op.f("ix_device_office_id"), "device", ["office_id"])
    op.create_table(
        "dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=True),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("officer_code", sa.String(length=32), nullable=True),
        sa.Column("officer_name", sa.String(length=120), nullable=True),
        sa.Column("counter", sa.Integer(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("returned_at", UTCDateTime(), nullable=True),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_dossier_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration.id"],
            name=op.f("fk_dossier_integration_id_integration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("office_id", "code_hash", name=op.f("uq_dossier_office_id_code_hash")),
    )
    op.create_index(op.f("ix_dossier_office_id"), "dossier", ["office_id"])
    op.create_table(
        "counter_serving",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("officer_code", sa.String(length=32), nullable=True),
        sa.Column("officer_name", sa.String(length=120), nullable=True),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_counter_serving_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration.id"],
            name=op.f("fk_counter_serving_integration_id_integration"),
        ),
        sa.PrimaryKeyConstraint("office_id", "counter", name=op.f("pk_counter_serving")),
    )
    # Plain columns (no foreign keys): SQLite adds them without rebuilding the ballot table.
    op.add_column("ballot", sa.Column("source", sa.String(length=16), nullable=True))
    op.add_column("ballot", sa.Column("device_id", sa.Integer(), nullable=True))
    op.add_column("ballot", sa.Column("integration_id", sa.Integer(), nullable=True))
    op.add_column("ballot", sa.Column("officer_code", sa.String(length=32), nullable=True))
    op.add_column("ballot", sa.Column("dossier_hash", sa.String(length=64), nullable=True))
    op.add_column("office", sa.Column("count_sources", sa.String(length=64), nullable=True))
    op.add_column(
        "app_user",
        sa.Column("is_head", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("is_head")
    with op.batch_alter_table("office") as batch:
        batch.drop_column("count_sources")
    with op.batch_alter_table("ballot") as batch:
        for name in ("dossier_hash", "officer_code", "integration_id", "device_id", "source"):
            batch.drop_column(name)
    op.drop_table("counter_serving")
    op.drop_table("dossier")
    op.drop_table("device")
    op.drop_table("integration")
