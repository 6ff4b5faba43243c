"""Shot moves in the decision log: an event can move its take from one shot to another.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shot_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shot_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_shot_from_id_shots"), "shots", ["shot_from_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_events_shot_to_id_shots"), "shots", ["shot_to_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_shot_to_id_shots"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_events_shot_from_id_shots"), type_="foreignkey")
        batch_op.drop_column("shot_to_id")
        batch_op.drop_column("shot_from_id")
