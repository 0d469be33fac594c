"""The indexer checkpoint records which deployment it follows.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indexer_checkpoints") as batch:
        batch.add_column(sa.Column("deployment", sa.String(42), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexer_checkpoints") as batch:
        batch.drop_column("deployment")
