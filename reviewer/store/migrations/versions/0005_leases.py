"""Work sharing: leases on takes, claimed by a reviewer's session at a stage.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("take_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_reviewer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lease_stage", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_workstation", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_take_state_lease_reviewer_id_reviewers"),
            "reviewers",
            ["lease_reviewer_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("take_state", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_take_state_lease_reviewer_id_reviewers"), type_="foreignkey")
        batch_op.drop_column("lease_workstation")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_stage")
        batch_op.drop_column("lease_reviewer_id")
