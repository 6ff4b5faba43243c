"""Heroes: a shot's chosen take with its trim, as events in the log and a cache on the shot.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hero", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("hero_shot_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_hero_shot_id_shots"), "shots", ["hero_shot_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hero_take_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hero_in", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hero_out", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_shots_hero_take_id_takes"), "takes", ["hero_take_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_shots_hero_take_id_takes"), type_="foreignkey")
        batch_op.drop_column("hero_out")
        batch_op.drop_column("hero_in")
        batch_op.drop_column("hero_take_id")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_hero_shot_id_shots"), type_="foreignkey")
        batch_op.drop_column("hero_shot_id")
        batch_op.drop_column("hero")
