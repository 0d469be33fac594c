"""What the shipment and declaration pages show, read through the services the API uses.

A shipment is a bill of lading the carrier anchored on an order (a ``shipment`` document). Its carrier
sees the shipments it carries; the order's buyer and supplier see every shipment of their orders. Each
cross-border shipment shows the customs declarations that cite its bill of lading (or its order), read
through ``api.customs.service.visible``: the carrier is no party of a declaration, so it sees none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from api.auth.service import Caller
from api.carbon.overview import StatedEmission, stated_emissions
from api.customs import service as customs
from api.customs.service import DeclarationView
from api.documents.access import visible_document
from api.documents.models import StoredDocument
from api.documents.service import content, documents_of_order
from api.orders.models import OrderRow
from api.orders.schemas import EventOut
from api.orders.service import OrdersService
from chain.client import Chain
from chain.customs_contracts import DeclarationStatus
from chain.errors import NotFound


@dataclass(frozen=True)
class ShipmentView:
    doc: StoredDocument  # the bill of lading as anchored
    order: OrderRow
    po_number: str
    cross_border: bool
    declarations: list[DeclarationView]
    declarations_hidden: bool  # declarations exist that the caller may not read (the carrier)
    emissions: list[StatedEmission] = field(default_factory=list)  # the caller's scope 3 statements of it

    @property
    def bl(self) -> dict[str, Any]:
        return content(self.doc)


def shipments_for(session: Session, chain: Chain, caller: Caller) -> list[ShipmentView]:
    """The caller's shipments: those of its orders (buyer, supplier) and those it carries, oldest first."""
    orders = OrdersService(session)
    own = {row.order_id: row for row in orders.for_caller(caller)}
    carried = {row.order_id: row for row in orders.carried(caller)}
    emissions = freight_emissions(chain, session, caller)
    views = []
    for row in sorted({**carried, **own}.values(), key=lambda r: r.registered_block):
        for doc in documents_of_order(session, row.buyer, orders.po_number(row), "shipment"):
            if row.order_id in own or doc.issuer == caller.org_id:
                views.append(_view(session, chain, caller, row, doc, emissions))
    return views


def freight_emissions(chain: Chain, session: Session, caller: Caller) -> dict[str, list[StatedEmission]]:
    """The caller's scope 3 statements of single shipments (as the carbon pages read them), by bill of
    lading number."""
    found: dict[str, list[StatedEmission]] = defaultdict(list)
    for item in stated_emissions(chain, session, caller):
        if item.kind == "shipment" and item.label:
            found[item.label.removeprefix("shipment:")].append(item)
    return found


def shipment(session: Session, chain: Chain, caller: Caller, doc_id: str) -> ShipmentView:
    """One shipment the caller may open (``visible_document``); 404 for any other id."""
    doc = bill_of_lading(session, caller, doc_id)
    row = OrdersService(session).order_of(doc)
    if row is None:
        raise NotFound(f"no shipment {doc_id} of yours", code="shipment_not_found")
    return _view(session, chain, caller, row, doc, freight_emissions(chain, session, caller))


def bill_of_lading(session: Session, caller: Caller, doc_id: str) -> StoredDocument:
    doc = visible_document(session, caller, doc_id)
    if doc.doc_type != "shipment":
        raise NotFound(f"no shipment {doc_id} of yours", code="shipment_not_found")
    return doc


def _view(
    session: Session,
    chain: Chain,
    caller: Caller,
    row: OrderRow,
    doc: StoredDocument,
    emissions: dict[str, list[StatedEmission]],
) -> ShipmentView:
    orders = OrdersService(session)
    po_number = orders.po_number(row)
    cross_border = orders.purchase_order(row).cross_border
    ids = customs.declarations_of_order(
        session, buyer=row.buyer, supplier=row.supplier, po_number=po_number, waybills=[doc.number]
    )
    seen: list[DeclarationView] = []
    for declaration_id in ids:
        try:
            seen.append(customs.visible(session, chain, caller, declaration_id))
        except NotFound:
            continue
    citing = [v for v in seen if v.row.transport_document == doc.number]
    hidden = len(seen) < len(ids)
    return ShipmentView(
        doc, row, po_number, cross_border, citing or seen, hidden, emissions.get(doc.number, [])
    )


# --- attestations ---------------------------------------------------------------------------------


@dataclass
class StatusVotes:
    """The attestations of one status of a declaration, and whether they reached the threshold."""

    status: str
    attestations: list[EventOut] = field(default_factory=list)
    conflicts: list[EventOut] = field(default_factory=list)
    finalised: EventOut | None = None

    @property
    def orgs(self) -> int:
        return len({e.args["org"] for e in self.attestations})


def status_name(value: int) -> str:
    return DeclarationStatus(int(value)).name.lower()


def votes(timeline: list[EventOut]) -> list[StatusVotes]:
    """A declaration's timeline grouped per status, in the order of the customs procedure."""
    by_status: dict[int, StatusVotes] = defaultdict(lambda: StatusVotes(""))
    for event in timeline:
        if event.contract != "CustomsAttestations" or "status" not in event.args:
            continue
        group = by_status[int(event.args["status"])]
        group.status = status_name(event.args["status"])
        if event.event == "CustomsAttestationRecorded":
            group.attestations.append(event)
        elif event.event == "CustomsConflictRecorded":
            group.conflicts.append(event)
        elif event.event == "DeclarationStatusFinalised":
            group.finalised = event
    return [by_status[k] for k in sorted(by_status)]
