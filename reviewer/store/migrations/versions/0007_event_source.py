"""How a decision was given: by the reviewer's own key (NULL), or by a rule such as the survey's page
rule ("page-rule"), so that the log says which verdicts a person gave take by take.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("source")
