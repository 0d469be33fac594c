"""Customs declarations as the API shows them: content from the operators' rows, status from the chain.

A declaration's parties are its exporter and importer; auditors they authorised see it too, and
customs oracle organisations (which read the feed anyway) see every declaration. Everyone else
gets 404. The status shown is the one ``CustomsAttestations`` finalised at k of n operators, read
from the chain, with its conflict flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from api.auth.service import Caller
from api.customs.models import CustomsDeclarationRow
from api.documents.access import declaration_parties, may_open
from api.trade.crossborder import CustomsStatus
from api.trade.documents import CustomsDeclaration, from_canonical
from chain.client import Chain
from chain.customs_contracts import DeclarationStatus
from chain.errors import NotFound
from chain.ids import from_hex32, to_hex32


@dataclass(frozen=True)
class DeclarationView:
    row: CustomsDeclarationRow  # the content version the chain finalised (else the newest seen)
    status: str  # none | declared | inspected | released | cleared
    conflicted: bool
    status_at: int
    finalised_at: int
    versions: int


def _versions(session: Session, declaration_id: str) -> list[CustomsDeclarationRow]:
    query = select(CustomsDeclarationRow).where(CustomsDeclarationRow.declaration_id == declaration_id)
    return list(session.exec(query.order_by(col(CustomsDeclarationRow.created_at))))


def view(session: Session, chain: Chain, declaration_id: str) -> DeclarationView:
    return _view(chain, declaration_id, _versions(session, declaration_id))


def _view(chain: Chain, declaration_id: str, versions: list[CustomsDeclarationRow]) -> DeclarationView:
    if not versions:
        raise NotFound(f"no customs declaration {declaration_id}", code="declaration_not_found")
    state = chain.customs().declaration(from_hex32(declaration_id))
    final = to_hex32(state.content_commitment)
    row = next((v for v in versions if v.commitment == final), versions[-1])
    return DeclarationView(
        row=row,
        status=DeclarationStatus(state.status).name.lower(),
        conflicted=state.conflicted,
        status_at=state.status_at,
        finalised_at=state.finalised_at,
        versions=len(versions),
    )


def threshold(chain: Chain) -> int:
    """How many operator organisations must agree on a status to finalise it (k of n)."""
    return chain.customs().threshold()


def visible(session: Session, chain: Chain, caller: Caller, declaration_id: str) -> DeclarationView:
    versions = _versions(session, declaration_id.lower())
    if not versions or not _may_read(session, caller, versions[0]):
        raise NotFound(f"no customs declaration {declaration_id} of yours", code="declaration_not_found")
    return _view(chain, declaration_id.lower(), versions)


def _may_read(session: Session, caller: Caller, row: CustomsDeclarationRow) -> bool:
    return caller.role == "customs_oracle" or may_open(
        session, caller, declaration_parties(row), row.declaration_id
    )


def for_caller(session: Session, caller: Caller) -> list[str]:
    """Ids of the declarations the caller may read, oldest first."""
    query = select(CustomsDeclarationRow)
    if caller.role != "customs_oracle":
        query = query.where(
            or_(
                CustomsDeclarationRow.exporter == caller.org_id,
                CustomsDeclarationRow.importer == caller.org_id,
            )
        )
    ids: dict[str, None] = {}
    for row in session.exec(query.order_by(col(CustomsDeclarationRow.created_at))):
        ids.setdefault(row.declaration_id, None)
    return list(ids)


def evidence_for_order(
    session: Session, chain: Chain, *, buyer: str, supplier: str, po_number: str, waybills: Iterable[str]
) -> tuple[list[CustomsDeclaration], dict[str, CustomsStatus]]:
    """The declarations of the order (``declarations_of_order``) with the statuses the chain finalised
    for them (inputs of cross-border matching)."""
    declarations: list[CustomsDeclaration] = []
    statuses: dict[str, CustomsStatus] = {}
    ids = declarations_of_order(
        session, buyer=buyer, supplier=supplier, po_number=po_number, waybills=waybills
    )
    for declaration_id in ids:
        current = view(session, chain, declaration_id)
        declaration = from_canonical(CustomsDeclaration, current.row.canonical)
        declarations.append(declaration)
        statuses[declaration.declaration_number] = CustomsStatus(
            status=current.status,  # type: ignore[arg-type]
            conflicted=current.conflicted,
        )
    return declarations, statuses


def declarations_of_order(
    session: Session, *, buyer: str, supplier: str, po_number: str, waybills: Iterable[str]
) -> list[str]:
    """Ids of the declarations that cite the order or one of its waybills and name one of its parties."""
    query = select(CustomsDeclarationRow).where(
        or_(
            CustomsDeclarationRow.po_number == po_number,
            col(CustomsDeclarationRow.transport_document).in_(list(waybills)),
        ),
        or_(
            col(CustomsDeclarationRow.exporter).in_([buyer, supplier]),
            col(CustomsDeclarationRow.importer).in_([buyer, supplier]),
        ),
    )
    return sorted({row.declaration_id for row in session.exec(query)})
