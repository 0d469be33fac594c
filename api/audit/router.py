"""``/api/v1/audit``: read-only access of auditors and regulators to the organisations that authorised
them, the penetrating view of a transaction, governance history, the access log, regulators' mandates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime

from api.audit import governance, log, service
from api.audit.grants import mandates_for, record_mandate, withdraw_mandate
from api.audit.schemas import (
    HEX32,
    AccessOut,
    AuthorisedOut,
    GovernanceEventOut,
    GovernanceKind,
    Layer,
    MandateIn,
    MandateOut,
    TransactionOut,
)
from api.audit.service import AuditingDep
from api.audit.transactions import transaction
from api.auth.deps import CallerDep, WriterDep
from api.carbon.account import StatementOut
from api.carbon.router import ReadingOut
from api.credit.schemas import CreditOut
from api.credit.service import CreditService
from api.customs.schemas import DeclarationOut
from api.db import INT32_MAX, PageDep, SessionDep
from api.financing.schemas import FinancingOut
from api.orders.schemas import DocumentOut, OrderOut
from api.receivables.schemas import ReceivableOut
from api.runtime import chain_and_indexer
from chain.client import Chain
from chain.errors import Forbidden

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
OrgId = Annotated[str, Path(pattern=HEX32, description="the audited organisation")]
Since = Annotated[AwareDatetime | None, Query(description="from this time (ISO 8601 with a timezone)")]
Until = Annotated[AwareDatetime | None, Query(description="before this time (ISO 8601 with a timezone)")]


def _chain(request: Request) -> service.ChainSource:
    def connected() -> Chain:
        return chain_and_indexer(request)[0]

    return connected


@router.get("/organisations", response_model=list[AuthorisedOut])
def organisations(audit: AuditingDep, session: SessionDep) -> list[AuthorisedOut]:
    """The organisations you may audit: they authorised you, or the operator recorded your mandate."""
    return service.authorised(session, audit)


@router.get("/organisations/{org_id}", response_model=AuthorisedOut)
def organisation(org_id: OrgId, audit: AuditingDep, session: SessionDep) -> AuthorisedOut:
    """One organisation you may audit, and by what."""
    party = audit.subject(org_id)
    [found] = [a for a in service.authorised(session, audit) if a.organisation.id == party.org_id]
    return found


@router.get("/organisations/{org_id}/receivables", response_model=list[ReceivableOut])
def receivables(org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep) -> list[ReceivableOut]:
    """Its receivables (issued, owed, held or financed), with evidence and timeline, as it sees them."""
    return service.receivables(session, audit.subject(org_id), page)


@router.get("/organisations/{org_id}/orders", response_model=list[OrderOut])
def orders(org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep) -> list[OrderOut]:
    """The purchase orders it is the buyer or the supplier of."""
    return service.orders(session, audit.subject(org_id), page)


@router.get("/organisations/{org_id}/financings", response_model=list[FinancingOut])
def financings(org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep) -> list[FinancingOut]:
    """The financings it requested (as holder) or granted (as financier), with its offers."""
    return service.financings(session, audit.subject(org_id), page)


@router.get("/organisations/{org_id}/letters-of-credit", response_model=list[CreditOut])
def letters_of_credit(
    org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep, request: Request
) -> list[CreditOut]:
    """The letters of credit it is a party to (statuses read from the chain)."""
    party = audit.subject(org_id)
    return service.letters_of_credit(CreditService.for_request(session, request), party, page)


@router.get("/organisations/{org_id}/documents", response_model=list[Layer[DocumentOut]])
def documents(
    org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep
) -> list[Layer[DocumentOut]]:
    """The anchored documents it is a party to, with their content and anchors."""
    return service.documents(session, audit, audit.subject(org_id), page)


@router.get("/organisations/{org_id}/customs-declarations", response_model=list[DeclarationOut])
def declarations(
    org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep, request: Request
) -> list[DeclarationOut]:
    """The customs declarations it is the exporter or importer of, with their status on chain."""
    return service.declarations(session, _chain(request), audit.subject(org_id), page)


@router.get("/organisations/{org_id}/carbon-statements", response_model=list[StatementOut])
def statements(org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep) -> list[StatementOut]:
    """Its emission statements."""
    return service.statements(session, audit.subject(org_id), page)


@router.get("/organisations/{org_id}/readings", response_model=list[ReadingOut])
def readings(org_id: OrgId, audit: AuditingDep, session: SessionDep, page: PageDep) -> list[ReadingOut]:
    """Its devices' readings, newest first."""
    return service.readings(session, audit.subject(org_id), page)


@router.get("/transactions/{tx_id}", response_model=TransactionOut)
def penetrating_view(
    tx_id: Annotated[str, Path(pattern=HEX32, description="a receivable id or an order id")],
    audit: AuditingDep,
    session: SessionDep,
    request: Request,
) -> TransactionOut:
    """A receivable or an order through every layer (穿透式): order, logistics, customs, invoice, the
    receivable's splits and transfers, financings, repayments and carbon, each with its on-chain anchor."""
    return transaction(session, _chain(request), audit, tx_id)


@router.get("/governance", response_model=list[GovernanceEventOut])
def governance_history(
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    page: PageDep,
    since: Since = None,
    until: Until = None,
    kind: GovernanceKind | None = None,
    from_block: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,  # the index keeps INTEGER blocks
    to_block: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,
) -> list[GovernanceEventOut]:
    """Role grants and revocations, dual-control operations, threshold and delay changes, upgrades,
    registrations, suspensions and reinstatements, pauses: oldest first (auditors, regulators, operator)."""
    if not (caller.is_auditing or caller.is_operator):
        raise Forbidden(
            "governance history is for auditors, regulators and the operator", code="role_required"
        )
    chain, _ = chain_and_indexer(request)
    found = governance.history(
        session, chain, kind=kind, since=since, until=until, from_block=from_block, to_block=to_block
    )
    return page.of(found)


@router.get("/access-log", response_model=list[AccessOut])
def access_log(
    caller: CallerDep, session: SessionDep, page: PageDep, since: Since = None, until: Until = None
) -> list[AccessOut]:
    """Reads by auditors and regulators, newest first: of your records (an auditor: its own reads; the
    operator: all)."""
    return [
        AccessOut.model_validate(e, from_attributes=True)
        for e in log.entries_for(session, caller, page, since, until)
    ]


@router.get("/mandates", response_model=list[MandateOut])
def mandates(caller: CallerDep, session: SessionDep) -> list[MandateOut]:
    """Regulators' mandates: the operator sees all, a regulator its own, a member those over it."""
    return [MandateOut.model_validate(m, from_attributes=True) for m in mandates_for(session, caller)]


@router.post("/mandates", status_code=201, response_model=MandateOut)
def record(body: MandateIn, caller: WriterDep, session: SessionDep) -> MandateOut:
    """The operator records a regulator's mandate over a member; the member cannot withdraw it."""
    row = record_mandate(session, caller, body.regulator, body.subject)
    return MandateOut.model_validate(row, from_attributes=True)


@router.delete("/mandates/{regulator}/{subject}", status_code=204, response_class=Response)
def withdraw(
    regulator: Annotated[str, Path(pattern=HEX32)],
    subject: Annotated[str, Path(pattern=HEX32)],
    caller: WriterDep,
    session: SessionDep,
) -> Response:
    """The operator withdraws a regulator's mandate."""
    withdraw_mandate(session, caller, regulator, subject)
    return Response(status_code=204)
