"""The compliance report's JSON shape, for the OpenAPI documentation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EvidenceOut(BaseModel):
    event: str
    block: int
    tx: str
    log_index: int
    at: str


class FindingOut(BaseModel):
    code: str = Field(description="the rule: LARGE_FINANCING, RAPID_SPLIT_TRANSFER, CIRCULAR_TRADE, …")
    objects: list[str] = Field(
        description="ids involved (financings, receivables, orders), the principal first"
    )
    organisations: list[str]
    amount_minor: int | None = Field(description="the amount at stake, in minor units of `currency`")
    currency: str | None
    evidence: list[EvidenceOut] = Field(description="the on-chain events that show it")
    details: dict[str, Any] = Field(description="what is particular to the rule")


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    as_of: str = Field(description="when state (overdue, reviews) is evaluated: `to`, or now while it runs")


class ScopeOut(BaseModel):
    consortium: bool
    organisations: list[str] | None = Field(
        description="for an auditor: the organisations that authorised it"
    )


class OrganisationOut(BaseModel):
    name: str
    role: str


class ComplianceReportOut(BaseModel):
    report: str
    period: PeriodOut
    index: dict[str, Any] = Field(description="the index checkpoint the report was computed from")
    scope: ScopeOut
    parameters: dict[str, Any]
    generated_at: str
    counts: dict[str, int]
    findings: dict[str, list[FindingOut]]
    organisations: dict[str, OrganisationOut]
    report_hash: str = Field(description="keccak256 of the canonical JSON of everything else")
