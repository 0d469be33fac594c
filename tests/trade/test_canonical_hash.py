"""``canonical_hash``: the keccak of a document's canonical bytes, remembered per instance, always
the hash of what the document holds now (lines changed in place, copies sharing lines, fields set
behind pydantic's back)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from eth_utils import keccak
from pydantic import BaseModel, ConfigDict

from api.trade.documents import InvoiceLine, Line, canonical_bytes, canonical_hash
from api.trade.matching import MatchResult
from tests.trade.factories import (
    make_declaration,
    make_invoice,
    make_payment,
    make_po,
    make_receipt,
    make_shipment,
)

PO = make_po(3, tax=5, hs_codes=True, cross_border=True)
DOCUMENTS: dict[str, Callable[[], BaseModel]] = {
    "purchase order": lambda: make_po(3, tax=5),
    "goods receipt": lambda: make_receipt(PO, "0.5"),
    "shipment": lambda: make_shipment(PO, transport_mode="road", gross_weight_kg=Decimal("12.5")),
    "invoice": lambda: make_invoice(PO, "0.5"),
    "customs declaration": lambda: make_declaration(PO),
    "payment": lambda: make_payment(PO),
    "match result": lambda: MatchResult("matched", (), inputs=("ab",)).as_document("0x01"),
}


def _is_current(doc: BaseModel) -> bool:
    return canonical_hash(doc) == keccak(canonical_bytes(doc))


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_the_hash_is_the_keccak_of_the_canonical_bytes_every_time(kind: str) -> None:
    doc = DOCUMENTS[kind]()

    assert _is_current(doc)
    assert _is_current(doc)


def _extra_line(doc: Any) -> Any:
    line = doc.lines[0]
    number = "line_no" if isinstance(line, Line) else "po_line_no"
    return line.model_copy(update={number: 99, "quantity": Decimal(7)})


CHANGES: dict[str, Callable[[Any], None]] = {
    "a line appended": lambda doc: doc.lines.append(_extra_line(doc)),
    "a line replaced": lambda doc: doc.lines.__setitem__(0, _extra_line(doc)),
    "a line removed": lambda doc: doc.lines.pop(),
    "lines cleared and refilled": lambda doc: doc.lines.__setitem__(slice(None), [_extra_line(doc)]),
    "a field set behind pydantic's back": lambda doc: object.__setattr__(doc, "po_number", "PO-9"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("kind", ["purchase order", "goods receipt", "shipment", "invoice"])
def test_a_changed_document_is_hashed_again(kind: str, change: str) -> None:
    doc = DOCUMENTS[kind]()
    before = canonical_hash(doc)

    CHANGES[change](doc)

    assert _is_current(doc)
    assert canonical_hash(doc) != before


def test_a_copy_sharing_the_lines_follows_them_and_keeps_its_own_hash() -> None:
    invoice = make_invoice(PO)
    before = canonical_hash(invoice)
    other = invoice.model_copy(update={"invoice_number": "INV-2"})

    assert canonical_hash(other) != before and _is_current(other)
    other.lines.append(InvoiceLine(**{**invoice.lines[0].model_dump(), "po_line_no": 9}))  # shared list
    assert _is_current(other) and _is_current(invoice) and canonical_hash(invoice) != before


def test_a_document_holding_a_mutable_value_is_hashed_every_time() -> None:
    result = DOCUMENTS["match result"]()
    before = canonical_hash(result)

    result.discrepancies.append({"code": "PO_MISMATCH"})  # a list of dicts, changed in place

    assert _is_current(result) and canonical_hash(result) != before


class _Note(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    text: str


def test_a_model_with_extra_fields_is_hashed_every_time() -> None:
    note = _Note.model_validate({"text": "a", "more": "b"})
    before = canonical_hash(note)

    assert note.__pydantic_extra__ is not None
    note.__pydantic_extra__["more"] = "c"  # extra fields live in a dict, not frozen

    assert _is_current(note) and canonical_hash(note) != before


def test_a_document_gone_leaves_nothing_behind_for_the_next_one() -> None:
    hashes, ids = set(), set()
    for number in range(50):
        receipt = make_receipt(PO, number=f"GR-{number}")
        assert _is_current(receipt)
        hashes.add(canonical_hash(receipt))
        ids.add(id(receipt))
        del receipt

    assert len(hashes) == 50
    assert len(ids) < 50  # new documents took the ids of the ones gone
