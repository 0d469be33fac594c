"""Event mentions: which chain events name which object id, so timelines are an indexed lookup rather than
a ``LIKE '%id%'`` scan of every event's arguments. Filled here from the events already indexed, with the
rule of ``api.timeline.projection.mentioned_ids`` as it was written for this revision (``tradeledger
reindex`` rebuilds the same rows).

Revision ID: 0014
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

HEX32 = re.compile(r"0x[0-9a-f]{64}")
TOKEN_MIN = 2**64
BATCH = 5_000


def _ids(args: dict[str, Any]) -> set[str]:
    """A frozen copy of ``mentioned_ids``: a migration must not change when the code does."""
    ids: set[str] = set()
    pending: list[Any] = list(args.values())
    while pending:
        value = pending.pop()
        if isinstance(value, list | tuple):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if value >= TOKEN_MIN:
                ids.add(str(value))
        elif isinstance(value, str) and HEX32.fullmatch(value.lower()):
            ids.add(value.lower())
    return ids


def upgrade() -> None:
    mentions = op.create_table(
        "chain_event_mentions",
        sa.Column("object_id", sa.String(78), primary_key=True),
        sa.Column("tx_hash", sa.String(66), primary_key=True),
        sa.Column("log_index", sa.Integer, primary_key=True),
        sa.Column("block_number", sa.Integer, nullable=False),
    )
    assert mentions is not None
    bind, last = op.get_bind(), 0
    page = sa.text(
        "SELECT id, tx_hash, log_index, block_number, args FROM chain_events "
        "WHERE id > :last ORDER BY id LIMIT :n"
    )
    while chunk := bind.execute(page, {"last": last, "n": BATCH}).all():
        last = chunk[-1][0]
        rows = [
            {"object_id": i, "tx_hash": tx_hash, "log_index": log_index, "block_number": block}
            for _, tx_hash, log_index, block, args in chunk
            for i in sorted(_ids(json.loads(args)))
        ]
        if rows:
            bind.execute(mentions.insert(), rows)


def downgrade() -> None:
    op.drop_table("chain_event_mentions")
