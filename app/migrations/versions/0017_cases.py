"""cases (phản ánh, kiến nghị) with their due times and answers; working days and alert rules
per office; staff e-mail addresses and digests; the outbox of mails and webhooks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import BigIntPK, UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("office") as batch:
        batch.add_column(sa.Column("case_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("alert_rule", sa.String(length=64), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(
            sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "citizen_case",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", BigIntPK, nullable=True),
        sa.Column("receipt", sa.String(length=16), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("handling_satisfied", sa.Boolean(), nullable=True),
        sa.Column("handling_rated_at", UTCDateTime(), nullable=True),
        sa.Column("contact", sa.String(length=254), nullable=True),
        sa.Column("contact_erased_at", UTCDateTime(), nullable=True),
        sa.Column("overdue_noticed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_citizen_case_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"], ["ballot.id"], name=op.f("fk_citizen_case_ballot_id_ballot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_case")),
    )
    op.create_index("ix_citizen_case_office_opened", "citizen_case", ["office_id", "opened_at"])
    op.create_index("ix_citizen_case_receipt", "citizen_case", ["receipt"])
    op.create_index("ix_citizen_case_ballot", "citizen_case", ["ballot_id"])
    op.create_index("ix_citizen_case_due", "citizen_case", ["due_at"])
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_webhook_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_index(op.f("ix_webhook_office_id"), "webhook", ["office_id"])
    op.create_table(
        "outbox_message",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("gave_up_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhook.id"], name=op.f("fk_outbox_message_webhook_id_webhook")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_outbox_message_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint(
            "channel",
            "recipient",
            "event_id",
            name=op.f("uq_outbox_message_channel_recipient_event_id"),
        ),
    )
    op.create_index(
        "ix_outbox_message_due", "outbox_message", ["delivered_at", "gave_up_at", "next_at"]
    )
    op.create_table(
        "outbox_attempt",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("message_id", BigIntPK, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_outbox_attempt_message_id_outbox_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempt")),
    )
    op.create_index(op.f("ix_outbox_attempt_message_id"), "outbox_attempt", ["message_id"])
    op.create_table(
        "office_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.Column("not_satisfied", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_office_alert_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_alert")),
    )
    op.create_index("ix_office_alert_office_raised", "office_alert", ["office_id", "raised_at"])


def downgrade() -> None:
    for table in ("office_alert", "outbox_attempt", "outbox_message", "webhook", "citizen_case"):
        op.drop_table(table)
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch would copy the office table,
    # which rows of other tables refer to.
    for table, column in (
        ("app_user", "digest"),
        ("app_user", "email"),
        ("office", "alert_rule"),
        ("office", "case_days"),
    ):
        op.drop_column(table, column)
