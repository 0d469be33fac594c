"""Emission statements on chain: the factor set registered, statements computed from anchored
readings and submitted by their organisation, and verified by a carbon verifier who recomputes them.

Scope 1 and 2 statements use the organisation's own devices' readings. Scope 3 statements cover
freight: one shipment (subject ``keccak256("shipment:<bl_number>")``) or an order's shipments
(subject ``keccak256("order:<order id>")``), stated by a party of the order (its buyer, its supplier
or a carrier of its shipments) from every anchored reading bound to the shipments, whoever's device
took it, and the shipment documents' transport mode and gross weight.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from eth_utils import keccak
from sqlmodel import Session, col, or_, select

from api.carbon.emissions import (
    EARLIER_ENGINES,
    FactorSet,
    FreightShipment,
    ReadingInput,
    Statement,
    compute,
    compute_freight,
    factor_set_by_digest,
)
from api.carbon.models import ReadingBatchRow, ReadingRow
from api.documents.models import StoredDocument
from api.orders.models import OrderRow
from api.runtime import signing_key
from api.trade.documents import Shipment, from_canonical
from chain.client import OPERATOR, Chain
from chain.errors import ChainRevert, Conflict, NotFound


def ensure_factor_set(chain: Chain, factors: FactorSet) -> bool:
    """Register the factor set's file hash on chain (as the operator) unless it is there.

    True if it was new."""
    if chain.carbon().call("factorSetRegistered", factors.digest):
        return False
    chain.carbon(OPERATOR).register_factor_set(
        factors.digest, factors.version, f"tradeledger-factors-{factors.version}.json"
    )
    return True


def _inputs(rows: Iterable[ReadingRow]) -> list[ReadingInput]:
    return [
        ReadingInput(
            r.metric, int(r.value_milli), r.binding, int(r.timestamp), str(r.batch_root), r.device_id
        )
        for r in rows
    ]


def anchored_inputs(session: Session, org: str, period: tuple[int, int]) -> list[ReadingInput]:
    """The organisation's readings in ``period`` that sit in anchored batches."""
    anchored = select(ReadingBatchRow.root).where(ReadingBatchRow.status == "anchored")
    rows = session.exec(
        select(ReadingRow).where(
            ReadingRow.owner == org,
            col(ReadingRow.batch_root).in_(anchored),
            col(ReadingRow.timestamp) >= period[0],
            col(ReadingRow.timestamp) <= period[1],
        )
    )
    return _inputs(rows)


def bound_inputs(session: Session, bindings: list[str], period: tuple[int, int]) -> list[ReadingInput]:
    """Every anchored reading in ``period`` bound to one of ``bindings``, whoever's device took it."""
    return _inputs(bound_readings(session, bindings, period))


def bound_readings(
    session: Session, bindings: list[str], period: tuple[int, int] | None = None
) -> list[ReadingRow]:
    """The anchored readings bound to one of ``bindings`` (in ``period`` if given), in arrival order."""
    anchored = select(ReadingBatchRow.root).where(ReadingBatchRow.status == "anchored")
    query = select(ReadingRow).where(
        col(ReadingRow.binding).in_(bindings), col(ReadingRow.batch_root).in_(anchored)
    )
    if period is not None:
        query = query.where(col(ReadingRow.timestamp) >= period[0], col(ReadingRow.timestamp) <= period[1])
    return list(session.exec(query.order_by(col(ReadingRow.id))))


# --- scope 3 subjects: shipments and orders -----------------------------------------------------


@dataclass(frozen=True)
class FreightSubject:
    """A shipment or an order as a scope 3 statement's subject, with the shipments it covers."""

    label: str  # "shipment:<bl_number>" or "order:<order id>"
    shipments: tuple[FreightShipment, ...]

    @property
    def subject(self) -> str:
        return "0x" + keccak(text=self.label).hex()


def _freight(doc: StoredDocument) -> FreightShipment:
    shipment = from_canonical(Shipment, doc.canonical)
    return FreightShipment(shipment.bl_number, shipment.transport_mode, shipment.gross_weight_kg)


def _shipment_parties(doc: StoredDocument) -> set[str]:
    data = json.loads(doc.canonical)
    return {data["carrier"], data["shipper"], data["consignee"]}


def _order_of(session: Session, doc: StoredDocument) -> OrderRow | None:
    """The order a shipment document was posted on (the buyer's PO of that number)."""
    po = session.exec(
        select(StoredDocument).where(
            StoredDocument.issuer == doc.buyer,
            StoredDocument.doc_type == "purchase_order",
            StoredDocument.number == doc.po_number,
        )
    ).first()
    if po is None:
        return None
    return session.exec(select(OrderRow).where(OrderRow.document_id == po.doc_id)).first()


def _shipments_of_order(session: Session, row: OrderRow) -> list[StoredDocument]:
    po = session.get(StoredDocument, row.document_id)
    if po is None:
        return []
    query = select(StoredDocument).where(
        StoredDocument.buyer == row.buyer,
        StoredDocument.po_number == po.number,
        StoredDocument.doc_type == "shipment",
    )
    return list(session.exec(query.order_by(col(StoredDocument.anchored_block), col(StoredDocument.doc_id))))


def _party_shipments(session: Session, org: str) -> list[StoredDocument]:
    """Shipment documents ``org`` is a party of (carrier, shipper or consignee)."""
    query = select(StoredDocument).where(
        StoredDocument.doc_type == "shipment", col(StoredDocument.canonical).contains(org)
    )
    return [doc for doc in session.exec(query) if org in _shipment_parties(doc)]


def _party_orders(session: Session, org: str) -> list[OrderRow]:
    """Orders ``org`` is a party of: buyer, supplier, or carrier of one of their shipments."""
    rows = {
        r.order_id: r
        for r in session.exec(select(OrderRow).where(or_(OrderRow.buyer == org, OrderRow.supplier == org)))
    }
    for doc in _party_shipments(session, org):
        order = _order_of(session, doc)
        if order is not None:
            rows.setdefault(order.order_id, order)
    return list(rows.values())


def shipment_subject(session: Session, org: str, bl_number: str) -> FreightSubject:
    """The shipment of that bill of lading ``org`` is a party of; 404 otherwise (never revealing others')."""
    docs = [d for d in _party_shipments(session, org) if d.number == bl_number]
    if not docs:
        raise NotFound(f"no shipment {bl_number} of yours", code="shipment_not_found")
    if len({d.doc_id for d in docs}) > 1:
        raise Conflict(
            f"{len(docs)} shipment documents of yours carry bill of lading {bl_number}; state their order",
            code="shipment_ambiguous",
        )
    return FreightSubject(f"shipment:{bl_number}", (_freight(docs[0]),))


def order_subject(session: Session, org: str, order_id: str) -> FreightSubject:
    """The order and its shipments if ``org`` is a party of it; 404 otherwise (its existence not revealed)."""
    row = next((r for r in _party_orders(session, org) if r.order_id == order_id.lower()), None)
    if row is None:
        raise NotFound(f"no purchase order {order_id} of yours", code="order_not_found")
    return freight_of_order(session, row)


def freight_of_order(session: Session, row: OrderRow) -> FreightSubject:
    """The order as a scope 3 subject, with its shipments (their bindings name the devices on them)."""
    return FreightSubject(
        f"order:{row.order_id}", tuple(_freight(d) for d in _shipments_of_order(session, row))
    )


def resolve_freight_subject(session: Session, org: str, subject: str) -> FreightSubject | None:
    """The shipment or order of ``org``'s whose label hashes to ``subject`` (a statement's, on chain)."""
    for doc in _party_shipments(session, org):
        if "0x" + keccak(text=f"shipment:{doc.number}").hex() == subject:
            return shipment_subject(session, org, doc.number)
    for row in _party_orders(session, org):
        if "0x" + keccak(text=f"order:{row.order_id}").hex() == subject:
            return order_subject(session, org, row.order_id)
    return None


def _freight_statement(
    session: Session,
    freight: FreightSubject,
    factors: FactorSet,
    *,
    period: tuple[int, int],
    region: str,
) -> Statement:
    readings = bound_inputs(session, sorted({s.binding for s in freight.shipments}), period)
    return compute_freight(
        readings, factors, freight.shipments, period=period, region=region, subject=freight.subject
    )


# --- submit and verify --------------------------------------------------------------------------


def submit_statement(
    chain: Chain,
    session: Session,
    org: str,
    factors: FactorSet,
    *,
    scope: int,
    period: tuple[int, int],
    region: str,
    subject: str,
    freight: FreightSubject | None = None,
) -> tuple[bytes, Statement]:
    """Compute and submit ``org``'s statement; nothing is written when there is nothing to state.

    Scope 3 states ``freight`` (or the shipment or order of ``org``'s that ``subject`` names)."""
    if scope == 3:
        freight = freight or resolve_freight_subject(session, org, subject)
        if freight is None:
            raise NotFound("no shipment or order of yours with that subject", code="subject_not_found")
        subject = freight.subject
        statement = _freight_statement(session, freight, factors, period=period, region=region)
        if not statement.batches:
            raise Conflict(
                f"nothing to state for {freight.label} in that period: no anchored fuel readings bound to "
                "its shipments, and no distance (distance_km or GPS readings) with a transport mode and "
                "gross weight on the shipment document",
                code="no_readings",
            )
    else:
        statement = compute(
            anchored_inputs(session, org, period),
            factors,
            scope=scope,
            period=period,
            region=region,
            subject=subject,
        )
        if not statement.batches:
            raise Conflict(
                "no anchored readings in that period and scope; nothing to state", code="no_readings"
            )
    ensure_factor_set(chain, factors)
    statement_id, _ = chain.carbon(signing_key(chain, org)).submit_statement(
        scope,
        period,
        bytes.fromhex(subject[2:]),
        statement.grams,
        factors.digest,
        [bytes.fromhex(b[2:]) for b in statement.batches],
        statement.result_hash(),
    )
    return statement_id, statement


def verify_statement(
    chain: Chain, session: Session, verifier: str, statement_id: bytes, factors: FactorSet, region: str
) -> Statement:
    """Recompute the statement from the anchored readings (and, for scope 3, the shipment documents);
    verify it on chain only if it matches exactly.

    A statement citing another factor set than ``factors`` is recomputed with the file in
    ``factors/`` it cites (statements made before a new version stay verifiable)."""
    on_chain = chain.carbon().call("statement", statement_id)
    org, scope, _status, start, end, grams, subject, factor_set, result_hash = (
        "0x" + bytes(on_chain[0]).hex(),
        int(on_chain[1]),
        on_chain[2],
        int(on_chain[3]),
        int(on_chain[4]),
        int(on_chain[5]),
        "0x" + bytes(on_chain[6]).hex(),
        bytes(on_chain[7]),
        bytes(on_chain[8]),
    )
    if factor_set != factors.digest:
        cited = factor_set_by_digest(factor_set)
        if cited is None:
            raise Conflict(
                "the statement cites a factor set that is not among this engine's files",
                code="factor_set_mismatch",
            )
        factors = cited
    if scope == 3:
        freight = resolve_freight_subject(session, org, subject)
        if freight is None:
            raise Conflict(
                "the statement's subject is none of its organisation's shipments or orders held here; "
                "not verified",
                code="statement_mismatch",
            )
        recomputed = _freight_statement(session, freight, factors, period=(start, end), region=region)
        candidates = [recomputed]
    else:
        recomputed = compute(
            anchored_inputs(session, org, (start, end)),
            factors,
            scope=scope,
            period=(start, end),
            region=region,
            subject=subject,
        )
        candidates = [recomputed, *(replace(recomputed, engine=e) for e in EARLIER_ENGINES)]
    if recomputed.grams != grams or all(c.result_hash() != result_hash for c in candidates):
        raise Conflict(
            f"recomputed {recomputed.grams} g from the anchored readings, the statement says {grams} g; "
            "not verified",
            code="statement_mismatch",
        )
    try:
        chain.carbon(signing_key(chain, verifier)).verify_statement(statement_id)
    except ChainRevert as exc:
        if exc.error != "CarbonStatementNotSubmitted":
            raise
    return recomputed
