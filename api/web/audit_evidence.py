"""A looked-up record's on-chain evidence as rows of one table: what, its id, the event, block and tx.

The views are the audit API's (``TransactionOut``, ``Layer``); this only flattens them for a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from api.audit.lookup import Found
from api.audit.schemas import Layer, TransactionOut


@dataclass(frozen=True)
class Evidence:
    what: str
    record_id: str | None  # links to its own lookup
    event: str | None
    block: int | None
    tx_hash: str | None


def evidence(found: Found) -> list[Evidence]:
    view = found.view
    if isinstance(view, TransactionOut):
        return list(_transaction(view))
    return [_row(found.kind, view)]


def _transaction(view: TransactionOut) -> Iterator[Evidence]:
    singles = [("order", view.order), ("purchase order", view.purchase_order)]
    yield from (_row(what, layer) for what, layer in singles if layer is not None)
    groups: list[tuple[str, Iterable[Layer[Any]]]] = [
        ("shipment", view.shipments),
        ("goods receipt", view.goods_receipts),
        ("payment advice", view.payments),
        ("invoice", view.invoices),
        ("match result", view.match_results),
        ("receivable", view.receivables),
        ("financing", view.financings),
        ("emission statement", view.carbon_statements),
        ("reading", view.readings),
    ]
    for what, layers in groups:
        yield from (_row(what, layer) for layer in layers)
    for r in view.repayments:
        yield Evidence("repayment", r.receivable_id, "RepaymentMade", r.block, r.tx_hash)


def _row(what: str, layer: Layer[Any]) -> Evidence:
    record: BaseModel = layer.record
    number = getattr(record, "number", None) or getattr(record, "po_number", None)
    anchor, record_id = layer.anchor, str(getattr(record, "id", ""))
    return Evidence(
        f"{what} {number}" if number else what,
        record_id if record_id.startswith("0x") else None,  # a reading's id is a number
        anchor.event if anchor else None,
        anchor.block if anchor else None,
        anchor.tx_hash if anchor else None,
    )
