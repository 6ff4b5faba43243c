"""Lineage and watch folders: prompt families, a take's parent with its basis, and the folders a project
watches for new takes.

New tables only (``takes`` is not rebuilt, so SQLite's full-text triggers stand). The families and
parents of takes stored before this revision are worked out by the next ingest or lineage update
(``reviewer.store.lineage.update``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
    )
    op.create_index(op.f("ix_families_key"), "families", ["key"], unique=False)
    op.create_table(
        "take_lineage",
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_take_lineage_family_id_families"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["takes.id"], name=op.f("fk_take_lineage_parent_id_takes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["take_id"], ["takes.id"], name=op.f("fk_take_lineage_take_id_takes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("take_id", name=op.f("pk_take_lineage")),
    )
    op.create_index(op.f("ix_take_lineage_family_id"), "take_lineage", ["family_id"], unique=False)
    op.create_index(op.f("ix_take_lineage_parent_id"), "take_lineage", ["parent_id"], unique=False)
    op.create_table(
        "watch_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("poll", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_folders")),
        sa.UniqueConstraint("path", name=op.f("uq_watch_folders_path")),
    )


def downgrade() -> None:
    op.drop_table("watch_folders")
    op.drop_index(op.f("ix_take_lineage_parent_id"), table_name="take_lineage")
    op.drop_index(op.f("ix_take_lineage_family_id"), table_name="take_lineage")
    op.drop_table("take_lineage")
    op.drop_index(op.f("ix_families_key"), table_name="families")
    op.drop_table("families")
