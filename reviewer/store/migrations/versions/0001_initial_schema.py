"""Initial schema: takes, shots, stages, reviewers, the decision log, derived state, FTS5.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:30:17.950677
"""

import sqlalchemy as sa
from alembic import op

from reviewer.store.dialect import SQLITE_FTS_V1, SQLITE_FTS_V1_DROP

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_roots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_roots")),
        sa.UniqueConstraint("name", name=op.f("uq_media_roots_name")),
    )
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("path", name=op.f("uq_problems_path")),
    )
    op.create_table(
        "reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewers")),
        sa.UniqueConstraint("name", name=op.f("uq_reviewers_name")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "shots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("target_frames", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shots")),
        sa.UniqueConstraint("code", name=op.f("uq_shots_code")),
    )
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shots_sort_order"), ["sort_order"], unique=False)

    op.create_table(
        "stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stages")),
        sa.UniqueConstraint("name", name=op.f("uq_stages_name")),
        sa.UniqueConstraint("position", name=op.f("uq_stages_position")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "takes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("relpath", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("missing", sa.Boolean(), nullable=False),
        sa.Column("container", sa.String(length=100), nullable=False),
        sa.Column("video_codec", sa.String(length=50), nullable=False),
        sa.Column("codec_profile", sa.String(length=100), nullable=False),
        sa.Column("pix_fmt", sa.String(length=50), nullable=False),
        sa.Column("bit_depth", sa.Integer(), nullable=False),
        sa.Column("color_range", sa.String(length=20), nullable=False),
        sa.Column("color_space", sa.String(length=30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sar_num", sa.Integer(), nullable=False),
        sa.Column("sar_den", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("fps_num", sa.Integer(), nullable=False),
        sa.Column("fps_den", sa.Integer(), nullable=False),
        sa.Column("vfr", sa.Boolean(), nullable=False),
        sa.Column("frame_count", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("start_time_s", sa.Float(), nullable=False),
        sa.Column("bit_rate", sa.BigInteger(), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.Column("audio_codec", sa.String(length=50), nullable=False),
        sa.Column("audio_channels", sa.Integer(), nullable=False),
        sa.Column("audio_rate", sa.Integer(), nullable=False),
        sa.Column("probe_warning", sa.Text(), nullable=False),
        sa.Column("generator", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column("seed", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("provenance_source", sa.String(length=200), nullable=False),
        sa.Column("ai_generated", sa.Boolean(), nullable=False),
        sa.Column("shot_id", sa.Integer(), nullable=True),
        sa.Column("shot_source", sa.String(length=50), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["root_id"], ["media_roots.id"], name=op.f("fk_takes_root_id_media_roots")),
        sa.ForeignKeyConstraint(
            ["shot_id"], ["shots.id"], name=op.f("fk_takes_shot_id_shots"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takes")),
        sa.UniqueConstraint("root_id", "relpath", name="uq_takes_root_relpath"),
    )
    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.create_index("ix_takes_has_audio", ["has_audio"], unique=False)
        batch_op.create_index("ix_takes_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_takes_model", ["model"], unique=False)
        batch_op.create_index("ix_takes_shot", ["shot_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("workstation", sa.String(length=200), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("tags_added", sa.JSON(), nullable=False),
        sa.Column("tags_removed", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("frame_in", sa.Integer(), nullable=True),
        sa.Column("frame_out", sa.Integer(), nullable=True),
        sa.Column("undoes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.id"], name=op.f("fk_events_reviewer_id_reviewers")
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], name=op.f("fk_events_stage_id_stages")),
        sa.ForeignKeyConstraint(
            ["take_id"], ["takes.id"], name=op.f("fk_events_take_id_takes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["undoes_id"], ["events.id"], name=op.f("fk_events_undoes_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_reviewer", ["reviewer_id", "at"], unique=False)
        batch_op.create_index("ix_events_take", ["take_id", "id"], unique=False)

    op.create_table(
        "take_state",
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("stage_pos", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("last_reviewer_id", sa.Integer(), nullable=True),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_reviewer_id"], ["reviewers.id"], name=op.f("fk_take_state_last_reviewer_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["take_id"], ["takes.id"], name=op.f("fk_take_state_take_id_takes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("take_id", name=op.f("pk_take_state")),
    )
    with op.batch_alter_table("take_state", schema=None) as batch_op:
        batch_op.create_index("ix_take_state_rating", ["rating"], unique=False)
        batch_op.create_index("ix_take_state_reviewer", ["last_reviewer_id"], unique=False)
        batch_op.create_index("ix_take_state_stage", ["stage_pos", "rejected"], unique=False)

    op.create_table(
        "take_tags",
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_take_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["take_id"], ["takes.id"], name=op.f("fk_take_tags_take_id_takes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("take_id", "tag_id", name=op.f("pk_take_tags")),
    )
    with op.batch_alter_table("take_tags", schema=None) as batch_op:
        batch_op.create_index("ix_take_tags_tag", ["tag_id", "take_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_V1:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS_V1_DROP:
            op.execute(statement)
    with op.batch_alter_table("take_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_take_tags_tag")

    op.drop_table("take_tags")
    with op.batch_alter_table("take_state", schema=None) as batch_op:
        batch_op.drop_index("ix_take_state_stage")
        batch_op.drop_index("ix_take_state_reviewer")
        batch_op.drop_index("ix_take_state_rating")

    op.drop_table("take_state")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_take")
        batch_op.drop_index("ix_events_reviewer")

    op.drop_table("events")
    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.drop_index("ix_takes_shot")
        batch_op.drop_index("ix_takes_model")
        batch_op.drop_index("ix_takes_hash")
        batch_op.drop_index("ix_takes_has_audio")

    op.drop_table("takes")
    op.drop_table("tags")
    op.drop_table("stages")
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shots_sort_order"))

    op.drop_table("shots")
    op.drop_table("settings")
    op.drop_table("reviewers")
    op.drop_table("problems")
    op.drop_table("media_roots")
