"""What an auditor or regulator may read: the records of the organisations that authorised it.

An authorised organisation's records are what it sees itself as a *party*: the existing services'
reads, asked on its behalf by a caller without role (``as_party``), so what a role shows of other
organisations (a financier's open requests, a customs oracle's every declaration, a carbon verifier's
every statement) is not passed on. Everything else is 404, like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends
from pydantic import BaseModel
from sqlmodel import Session, and_, col, or_, select

from api.audit import log
from api.audit.grants import Authorisation, authorisations_of
from api.audit.schemas import AuthorisedOut, Layer
from api.auth.deps import CallerDep
from api.auth.service import Caller
from api.carbon.account import StatementOut, statement_out
from api.carbon.models import ReadingRow, StatementRow
from api.carbon.router import ReadingOut, anchored_roots, reading_out
from api.credit.schemas import CreditOut
from api.credit.service import CreditService
from api.customs import service as customs
from api.customs.schemas import DeclarationOut, declaration_out
from api.db import Page, SessionDep
from api.documents.access import document_parties, may_open
from api.documents.models import StoredDocument
from api.documents.service import content
from api.financing.schemas import FinancingOut
from api.financing.service import FinancingService
from api.orders.models import OrderRow
from api.orders.schemas import DocumentOut, OrderOut
from api.orders.service import OrdersService, document_out, timeline
from api.participants.models import Organisation
from api.participants.schemas import OrganisationOut
from api.participants.service import ParticipantsService
from api.receivables.models import ReceivableRow
from api.receivables.schemas import ReceivableOut
from api.receivables.service import ReceivablesService
from chain.client import Chain
from chain.errors import Forbidden, NotFound

PARTY = "party"  # not an organisation role: a caller that sees only what it is a party to
ChainSource = Callable[[], Chain]  # the connected chain, or 503 ``chain_unavailable``
R = TypeVar("R", bound=BaseModel)


def as_party(org: str) -> Caller:
    """``org`` as a plain party of its records, without what its role shows it of others."""
    return Caller(org_id=org, role=PARTY, status="active", key_id=0, scopes=("read",))


@dataclass(frozen=True)
class Auditing:
    """An auditing caller and the organisations that authorised it (grants and mandates)."""

    caller: Caller
    authorisations: tuple[Authorisation, ...]

    @property
    def subjects(self) -> frozenset[str]:
        return frozenset(a.subject for a in self.authorisations)

    def subject(self, org_id: str) -> Caller:
        """The authorised organisation ``org_id`` as a party; 404 if it did not authorise you (or is none)."""
        org = org_id.lower()
        if org not in self.subjects:
            raise NotFound(
                f"no organisation {org_id} you may audit; list them with GET /api/v1/audit/organisations",
                code="organisation_not_found",
            )
        log.note([org])
        return as_party(org)


def auditing(caller: CallerDep, session: SessionDep) -> Auditing:
    if not caller.is_auditing:
        raise Forbidden("only auditor and regulator organisations audit", code="role_required")
    return Auditing(caller, tuple(authorisations_of(session, caller.org_id)))


AuditingDep = Annotated[Auditing, Depends(auditing)]


def authorised(session: Session, audit: Auditing) -> list[AuthorisedOut]:
    participants = ParticipantsService(session)
    out: dict[str, AuthorisedOut] = {}
    for a in audit.authorisations:
        if a.subject in out:
            out[a.subject].via.append(a.via)
            continue
        org = session.get(Organisation, a.subject)
        if org is not None:
            record = OrganisationOut.of(org, participants.accounts(org.org_id))
            out[a.subject] = AuthorisedOut(organisation=record, via=[a.via], since=a.since)
    return list(out.values())


def layer(session: Session, record: R, needle: str, created: set[str]) -> Layer[R]:
    """``record`` with the events mentioning ``needle`` and, as its anchor, the first of ``created``."""
    events = timeline(session, needle)
    anchor = next((e for e in events if e.event in created), None)
    return Layer[R](record=record, anchor=anchor, events=events)


def document_layer(session: Session, caller: Caller, row: StoredDocument) -> Layer[DocumentOut]:
    """A document and its anchor; its content only if one of its parties authorised ``caller``."""
    out = document_out(row, None)
    if may_open(session, caller, document_parties(session, row), row.doc_id):
        out.content = content(row)
    return layer(session, out, row.doc_id, {"DocumentAnchored"})


# --- an authorised organisation's records -------------------------------------------------------


def receivables(session: Session, party: Caller, page: Page) -> list[ReceivableOut]:
    """The receivables it issued, owes or holds, and those it financed."""
    svc = ReceivablesService(session)
    rows = {r.receivable_id: r for r in svc.for_caller(party)}
    financed = [f.receivable_id for f in FinancingService(session).for_caller(party)]
    for row in session.exec(select(ReceivableRow).where(col(ReceivableRow.receivable_id).in_(financed))):
        rows.setdefault(row.receivable_id, row)
    ordered = sorted(rows.values(), key=lambda r: (r.issued_block, r.receivable_id))
    return svc.outs(page.of(ordered), party)


def orders(session: Session, party: Caller, page: Page) -> list[OrderOut]:
    svc = OrdersService(session)
    return svc.outs(svc.for_caller(party, page), party)


def financings(session: Session, party: Caller, page: Page) -> list[FinancingOut]:
    svc = FinancingService(session)
    return svc.outs(svc.for_caller(party, page), party)


def letters_of_credit(svc: CreditService, party: Caller, page: Page) -> list[CreditOut]:
    return [svc.out(row) for row in page.of(svc.for_caller(party))]


def documents(session: Session, audit: Auditing, party: Caller, page: Page) -> list[Layer[DocumentOut]]:
    """The documents it is a party of: issued by it, or of an order it is the buyer or supplier of."""
    orders = OrdersService(session)
    supplied = session.exec(select(OrderRow).where(OrderRow.supplier == party.org_id))
    query = select(StoredDocument).where(
        or_(
            StoredDocument.issuer == party.org_id,
            StoredDocument.buyer == party.org_id,
            *(
                and_(StoredDocument.buyer == o.buyer, StoredDocument.po_number == orders.po_number(o))
                for o in supplied
            ),
        )
    )
    rows = list(session.exec(query.order_by(col(StoredDocument.anchored_block), col(StoredDocument.doc_id))))
    return [document_layer(session, audit.caller, row) for row in page.of(rows)]


def declarations(session: Session, chain: ChainSource, party: Caller, page: Page) -> list[DeclarationOut]:
    ids = page.of(customs.for_caller(session, party))
    return [declaration_out(session, customs.view(session, chain(), i)) for i in ids] if ids else []


def statements(session: Session, party: Caller, page: Page) -> list[StatementOut]:
    query = select(StatementRow).where(StatementRow.org == party.org_id)
    return [
        statement_out(row)
        for row in page.of(list(session.exec(query.order_by(col(StatementRow.submitted_block)))))
    ]


def readings(session: Session, party: Caller, page: Page) -> list[ReadingOut]:
    """Its devices' readings, newest first."""
    query = select(ReadingRow).where(ReadingRow.owner == party.org_id).order_by(col(ReadingRow.id).desc())
    rows = list(session.exec(query.offset(page.offset).limit(page.limit)))
    anchored = anchored_roots(session, rows)
    return [reading_out(row, anchored) for row in rows]
