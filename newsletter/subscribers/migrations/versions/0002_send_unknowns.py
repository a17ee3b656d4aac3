"""The send log counts unanswered sends (DATA out, no reply) per recipient: the re-send rule.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sends.unknowns."""
    with op.batch_alter_table("sends") as batch:
        batch.add_column(sa.Column("unknowns", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop sends.unknowns."""
    with op.batch_alter_table("sends") as batch:
        batch.drop_column("unknowns")
