"""audit events name the office they concern

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_office_id"), ["office_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_office_id_office"), "office", ["office_id"], ["id"]
        )
    # Events logged before this revision: logins belong to the account's office.
    op.execute(
        "UPDATE audit_event SET office_id = (SELECT office_id FROM app_user"
        " WHERE app_user.username = audit_event.username)"
        " WHERE action = 'login'"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_event_office_id_office"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_event_office_id"))
        batch_op.drop_column("office_id")
