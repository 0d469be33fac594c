"""Letters of credit off chain: the full terms, amendments and presented documents.

The chain holds the operative terms, statuses and hashes; these tables hold the documents behind the
hashes (the full terms whose keccak256 is ``termsHash``, the presented documents whose keccak256 is the
presentation's commitment, the examination report whose ``result_hash`` is recorded). They are written
by the API after the transaction that commits to them succeeds; they are not re-indexable from events
(like ``organisation_legal_ids``). Statuses (credit, amendment, presentation), ``drawn`` and
``available`` are read from the contract's views when answering, so there is no projection to lag.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class CreditRow(SQLModel, table=True):
    __tablename__ = "letters_of_credit"

    credit_id: str = Field(primary_key=True, max_length=66)  # keccak256(abi.encode(applicant, ref))
    number: str = Field(max_length=64)  # the applicant's reference (CreditTerms.number)
    applicant: str = Field(max_length=66, index=True)
    issuing_bank: str = Field(max_length=66, index=True)
    advising_bank: str = Field(max_length=66, index=True)
    beneficiary: str = Field(max_length=66, index=True)
    currency: str = Field(max_length=3)
    payment: str = Field(max_length=8)  # sight | deferred
    terms_json: str = Field(sa_column=Column(Text, nullable=False))  # the current full terms document
    terms_hash: str = Field(max_length=66)
    applied_block: int
    applied_tx: str = Field(max_length=66)


class AmendmentRow(SQLModel, table=True):
    __tablename__ = "lc_amendments"

    credit_id: str = Field(primary_key=True, max_length=66)
    number: int = Field(primary_key=True)
    changes_json: str = Field(sa_column=Column(Text, nullable=False))  # what the issuing bank changed
    terms_json: str = Field(sa_column=Column(Text, nullable=False))  # the full terms if accepted
    terms_hash: str = Field(max_length=66)
    proposed_block: int


class PresentationRow(SQLModel, table=True):
    __tablename__ = "lc_presentations"

    presentation_id: str = Field(primary_key=True, max_length=66)
    credit_id: str = Field(max_length=66, index=True)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    documents_json: str = Field(sa_column=Column(Text, nullable=False))  # the engine's Presentation
    documents_hash: str = Field(max_length=66)
    report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result_hash: str | None = Field(default=None, max_length=66)
    presented_block: int
