"""Letters of credit: full terms, amendments and presentations (the documents behind on-chain hashes).

Revision ID: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letters_of_credit",
        sa.Column("credit_id", sa.String(66), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("applicant", sa.String(66), nullable=False),
        sa.Column("issuing_bank", sa.String(66), nullable=False),
        sa.Column("advising_bank", sa.String(66), nullable=False),
        sa.Column("beneficiary", sa.String(66), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment", sa.String(8), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("terms_hash", sa.String(66), nullable=False),
        sa.Column("applied_block", sa.Integer(), nullable=False),
        sa.Column("applied_tx", sa.String(66), nullable=False),
    )
    for party in ("applicant", "issuing_bank", "advising_bank", "beneficiary"):
        op.create_index(f"ix_letters_of_credit_{party}", "letters_of_credit", [party])
    op.create_table(
        "lc_amendments",
        sa.Column("credit_id", sa.String(66), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("changes_json", sa.Text(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("terms_hash", sa.String(66), nullable=False),
        sa.Column("proposed_block", sa.Integer(), nullable=False),
    )
    op.create_table(
        "lc_presentations",
        sa.Column("presentation_id", sa.String(66), primary_key=True),
        sa.Column("credit_id", sa.String(66), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("documents_json", sa.Text(), nullable=False),
        sa.Column("documents_hash", sa.String(66), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("result_hash", sa.String(66), nullable=True),
        sa.Column("presented_block", sa.Integer(), nullable=False),
    )
    op.create_index("ix_lc_presentations_credit_id", "lc_presentations", ["credit_id"])


def downgrade() -> None:
    op.drop_index("ix_lc_presentations_credit_id", "lc_presentations")
    op.drop_table("lc_presentations")
    op.drop_table("lc_amendments")
    for party in ("applicant", "issuing_bank", "advising_bank", "beneficiary"):
        op.drop_index(f"ix_letters_of_credit_{party}", "letters_of_credit")
    op.drop_table("letters_of_credit")
