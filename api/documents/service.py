"""Stores a normalised document off chain and anchors its salted commitment on chain."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from api.documents.models import StoredDocument
from api.documents.storage import put_sealed
from api.trade.documents import canonical_bytes
from chain.client import Chain
from chain.ids import commitment, new_salt, to_hex32
from chain.trade_contracts import DocumentType


def anchor_document(
    session: Session,
    chain: Chain,
    key: str,
    issuer: str,
    doc_type: DocumentType,
    number: str,
    doc: BaseModel,
    *,
    po_number: str,
    buyer: str,
    refs: list[str] | None = None,
    kind: str | None = None,
) -> StoredDocument:
    """Commit ``doc`` on chain as ``issuer`` (signing with ``key``) and keep its bytes and salt here.

    The row is added to ``session`` but not committed: the caller commits it with what else it writes.
    ``kind`` names documents the chain types as ``Other`` (``payment``); by default the type's name.
    """
    canonical = canonical_bytes(doc)
    salt = new_salt()
    digest = commitment(canonical, salt)
    doc_id, receipt = chain.documents(key).anchor(
        doc_type, number, digest, [bytes.fromhex(r[2:]) for r in refs or []]
    )
    cid, wrapped_key = put_sealed(canonical, doc_id)
    row = StoredDocument(
        doc_id=to_hex32(doc_id),
        issuer=issuer,
        doc_type=kind or doc_type.name.lower(),
        number=number,
        po_number=po_number,
        buyer=buyer,
        canonical=canonical.decode(),
        salt=to_hex32(salt),
        commitment=to_hex32(digest),
        anchored_block=receipt.block_number,
        anchored_tx=receipt.tx_hash,
        cid=cid,
        wrapped_key=wrapped_key,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    return row


# A page's documents in one query each. Built once, their lists expanding parameters: building and hashing
# a statement per request cost more than running it (SQLAlchemy caches the compiled form by structure).
_BY_ID = select(StoredDocument).where(col(StoredDocument.doc_id).in_(bindparam("ids", expanding=True)))
_OF_ORDERS = (
    select(StoredDocument)
    .where(
        col(StoredDocument.buyer).in_(bindparam("buyers", expanding=True)),
        col(StoredDocument.po_number).in_(bindparam("numbers", expanding=True)),
    )
    .order_by(col(StoredDocument.anchored_block))
)


def documents_by_id(session: Session, ids: Iterable[str]) -> dict[str, StoredDocument]:
    """The documents of ``ids`` held here, by id."""
    return {d.doc_id: d for d in session.exec(_BY_ID, params={"ids": list(set(ids))})}


def documents_of_orders(
    session: Session, orders: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[StoredDocument]]:
    """The documents of each order given as ``(buyer, PO number)`` (its buyer's under its PO's number), in
    anchoring order; one query for all of them."""
    wanted = set(orders)
    found: dict[tuple[str, str], list[StoredDocument]] = {order: [] for order in wanted}
    if not wanted:
        return found
    params = {"buyers": list({b for b, _ in wanted}), "numbers": list({n for _, n in wanted})}
    for d in session.exec(_OF_ORDERS, params=params):
        if (d.buyer, d.po_number) in found:  # not another buyer's order of the same number
            found[(d.buyer, d.po_number)].append(d)
    return found


def documents_of_order(session: Session, buyer: str, po_number: str, kind: str) -> list[StoredDocument]:
    """The order's documents of one kind (``goods_receipt``, ``shipment``, ``invoice``, ``payment``…),
    in anchoring order."""
    query = select(StoredDocument).where(
        StoredDocument.buyer == buyer,
        StoredDocument.po_number == po_number,
        StoredDocument.doc_type == kind,
    )
    return list(session.exec(query.order_by(col(StoredDocument.anchored_block))).all())


def purchase_order_document(session: Session, buyer: str, po_number: str) -> StoredDocument | None:
    """The anchored purchase order ``po_number`` of ``buyer``: the order every other document cites."""
    query = select(StoredDocument).where(
        StoredDocument.buyer == buyer,
        StoredDocument.po_number == po_number,
        StoredDocument.doc_type == "purchase_order",
    )
    return session.exec(query).first()


class _Canonical(Protocol):
    canonical: str


def content(row: _Canonical) -> dict[str, Any]:
    """A stored document's (or declaration's) content, from its canonical JSON."""
    data: dict[str, Any] = json.loads(row.canonical)
    return data
