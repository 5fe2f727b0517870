"""devices that work offline: a screen's or kiosk's own secret (derived from the deployment's
key and a salt kept here), the clock offset learnt from each screen while it is online; and when
a ballot queued on a kiosk arrived, beside the time it was cast

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN: nullable columns need no copy of either table.
    op.add_column("device", sa.Column("secret_salt", sa.String(length=32), nullable=True))
    op.add_column("device", sa.Column("clock_offset_ms", sa.BigInteger(), nullable=True))
    op.add_column("device", sa.Column("clock_seen_at", UTCDateTime(), nullable=True))
    op.add_column("ballot", sa.Column("received_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("ballot", "received_at")
    op.drop_column("device", "clock_seen_at")
    op.drop_column("device", "clock_offset_ms")
    op.drop_column("device", "secret_salt")
