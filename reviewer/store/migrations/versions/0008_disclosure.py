"""AI disclosure on evidence: ``ai_generated`` may be unknown (NULL), and says on what it rests.

takes.ai_basis is the kind of evidence (c2pa, c2pa-untrusted, aigc-label, iptc, generator-metadata,
declared, rule, default), takes.ai_basis_text the line a reader sees, takes.evidence what the file itself
said (C2PA, container labels, generator metadata; ``reviewer.store.disclosure``), takes.declaration a
reviewer's declaration in effect. events.ai_declared records declarations in the log.

Until this revision every take was stored as generated whatever it was. Takes with generator metadata
keep it, on that basis; the others become unknown, and the next ingest reads every file's evidence again
(their C2PA manifests were never read).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 05:20:00
"""

import sqlalchemy as sa
from alembic import op

from reviewer.store.dialect import SQLITE_FTS_V1, SQLITE_FTS_V1_DROP

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.alter_column("ai_generated", existing_type=sa.Boolean(), nullable=True)
        batch_op.add_column(
            sa.Column("ai_basis", sa.String(length=30), nullable=False, server_default="default")
        )
        batch_op.add_column(sa.Column("ai_basis_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("declaration", sa.JSON(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ai_declared", sa.String(length=10), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # making ``takes`` anew dropped its full-text triggers (the FTS table itself stands: same rowids)
        for statement in (*SQLITE_FTS_V1_DROP[:3], *SQLITE_FTS_V1[1:]):
            op.execute(statement)
    takes = sa.table(
        "takes",
        sa.column("generator", sa.String), sa.column("model", sa.String), sa.column("prompt", sa.Text),
        sa.column("seed", sa.String), sa.column("mtime", sa.Float), sa.column("ai_generated", sa.Boolean),
        sa.column("ai_basis", sa.String), sa.column("ai_basis_text", sa.Text),
    )  # fmt: skip
    has_metadata = sa.or_(
        takes.c.generator != "", takes.c.model != "", takes.c.prompt != "", takes.c.seed != ""
    )
    op.execute(
        takes.update()
        .where(has_metadata)
        .values(
            ai_generated=True, ai_basis="generator-metadata", ai_basis_text="generator metadata in the file"
        )
    )
    op.execute(
        takes.update()
        .where(sa.not_(has_metadata))
        .values(ai_generated=None, ai_basis="default", ai_basis_text="no evidence read yet: ingest again")
    )
    # the next ingest sees every file as changed and reads its evidence
    op.execute(takes.update().values(mtime=-1.0))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("ai_declared")
    op.execute(sa.text("UPDATE takes SET ai_generated = TRUE WHERE ai_generated IS NULL"))
    with op.batch_alter_table("takes", schema=None) as batch_op:
        batch_op.drop_column("declaration")
        batch_op.drop_column("evidence")
        batch_op.drop_column("ai_basis_text")
        batch_op.drop_column("ai_basis")
        batch_op.alter_column("ai_generated", existing_type=sa.Boolean(), nullable=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*SQLITE_FTS_V1_DROP[:3], *SQLITE_FTS_V1[1:]):
            op.execute(statement)
