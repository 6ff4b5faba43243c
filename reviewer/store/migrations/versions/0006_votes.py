"""Blind votes: a vote (keep or reject) on a take at a stage, as an event that changes no state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vote", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("vote")
