"""Any record an auditor may see, by its id or by the hash of a transaction that touched it.

A receivable or an order opens as its penetrating view (``transactions.transaction``); a financing as
the view of its receivable; a letter of credit when one of its parties authorised the auditor; a
document when ``may_open`` says so. A transaction hash shows its indexed events and every record they
name that the auditor may see; if it may see none of them, the hash is not found either. Anything
else is 404 ``record_not_found``, whether it exists or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session, col, select

from api.audit import log
from api.audit.schemas import Layer, TransactionOut
from api.audit.service import Auditing, ChainSource, as_party, document_layer, layer
from api.audit.transactions import transaction
from api.credit.schemas import CreditOut
from api.credit.service import CreditService
from api.documents.access import visible_document
from api.financing.models import FinancingRow
from api.orders.schemas import DocumentOut, EventOut
from api.orders.service import event_out
from api.receivables.projection import receivable_hex
from chain.errors import InvalidInput, NotFound
from chain.index_models import ChainEventRow

HEX32 = re.compile(r"^0x[0-9a-f]{64}$")
Kind = Literal["receivable", "order", "financing", "letter of credit", "document"]


@dataclass(frozen=True)
class Found:
    """One record: what it is, and its view with the on-chain evidence."""

    kind: Kind
    id: str
    view: TransactionOut | Layer[CreditOut] | Layer[DocumentOut]


@dataclass(frozen=True)
class Lookup:
    """What an id or a transaction hash resolves to for the auditor."""

    needle: str
    records: list[Found] = field(default_factory=list)
    events: list[EventOut] = field(default_factory=list)  # a transaction hash: the events it emitted

    @property
    def is_transaction(self) -> bool:
        return bool(self.events)


def lookup(
    session: Session, chain: ChainSource, credits: CreditService, audit: Auditing, needle: str
) -> Lookup:
    """The record ``needle`` names (a receivable, order, financing, letter of credit or document id), or the
    records the transaction with hash ``needle`` touched; 404 ``record_not_found`` if none is yours to see."""
    key = needle.strip().lower()
    if not HEX32.match(key):
        raise InvalidInput(
            "give a receivable, order, financing, letter of credit or document id, or a transaction hash: "
            "0x and 64 hex digits",
            code="invalid_record_id",
        )
    found = record(session, chain, credits, audit, key)
    if found is not None:
        return Lookup(key, [found])
    events = _events_of_tx(session, key)
    records = [r for i in dict.fromkeys(_ids_in(events)) if (r := record(session, chain, credits, audit, i))]
    if not records:
        raise NotFound(
            f"no record {needle.strip()} of an organisation you may audit (nor a transaction touching one)",
            code="record_not_found",
        )
    return Lookup(key, records, events)


def record(
    session: Session, chain: ChainSource, credits: CreditService, audit: Auditing, key: str
) -> Found | None:
    """The record with id ``key`` if the auditor may see it, else None."""
    try:
        view = transaction(session, chain, audit, key)
        return Found(view.kind, key, view)
    except NotFound:
        pass
    financing = session.get(FinancingRow, key)
    if financing is not None:
        try:
            return Found("financing", key, transaction(session, chain, audit, financing.receivable_id))
        except NotFound:
            return None
    for subject in sorted(audit.subjects):
        try:
            row = credits.visible(as_party(subject), key)
        except NotFound:
            continue
        log.note([subject], key)
        return Found("letter of credit", key, layer(session, credits.out(row), key, {"CreditApplied"}))
    try:
        document = visible_document(session, audit.caller, key)
    except NotFound:
        return None
    return Found("document", key, document_layer(session, audit.caller, document))


def _events_of_tx(session: Session, tx_hash: str) -> list[EventOut]:
    query = select(ChainEventRow).where(ChainEventRow.tx_hash == tx_hash)
    return [event_out(r) for r in session.exec(query.order_by(col(ChainEventRow.log_index)))]


def _ids_in(events: list[EventOut]) -> Iterator[str]:
    """The ids the events' arguments name: 0x… words, and receivable token ids (uint256)."""
    for e in events:
        yield from _ids_of(e.args)


def _ids_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _ids_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from _ids_of(v)
    elif isinstance(value, str) and HEX32.match(value.lower()):
        yield value.lower()
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 2**64:
        yield receivable_hex(value)  # small integers are amounts, times and counts, not ids
