"""Quality signals per take: the analysis pass's results, versioned.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "take_analysis",
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("broken", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["take_id"], ["takes.id"], name=op.f("fk_take_analysis_take_id_takes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("take_id", name=op.f("pk_take_analysis")),
    )
    with op.batch_alter_table("take_analysis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_take_analysis_broken"), ["broken"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("take_analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_take_analysis_broken"))
    op.drop_table("take_analysis")
