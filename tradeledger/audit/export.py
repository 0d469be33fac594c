"""``tradeledger audit export``: an organisation's records for a period, written as a self-contained pack.

Runs where the platform runs (it reads the index, the documents and their keys, and the chain);
what it writes is checked later by ``audit check`` with the chain alone. The period selects records
by the time of the block that created them: documents anchored, receivables issued, credits applied
for, statements submitted in it; readings taken in it. A receivable brings its whole evidence (order
documents, match result, lineage of splits and its financings); a statement brings the readings it
was computed from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, col, or_, select

from api.carbon.emissions import ENGINE_VERSION as EMISSIONS_ENGINE
from api.carbon.emissions import FACTORS_DIR, factor_set_by_digest
from api.carbon.models import ReadingBatchRow, ReadingRow, StatementRow, leaf_value
from api.carbon.service import resolve_freight_subject
from api.credit.examination import ENGINE_VERSION as UCP_ENGINE
from api.credit.models import AmendmentRow, CreditRow, PresentationRow
from api.customs.models import CustomsDeclarationRow
from api.customs.service import declarations_of_order
from api.documents.models import StoredDocument
from api.documents.storage import document_key, read_sealed
from api.orders.models import OrderRow
from api.participants.models import Organisation
from api.receivables.models import ReceivableRow
from api.trade.crossborder import RULES_VERSION as CROSSBORDER_RULES
from api.trade.matching import RULES_VERSION as MATCH_RULES
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.client import Chain
from chain.errors import InvalidInput, NotFound
from chain.ids import from_hex32
from chain.index_models import ChainEventRow
from tradeledger.audit.pack import DEPLOYMENT, EVENTS, FORMAT, seal_manifest, write_json

RULE_VERSIONS = {
    "matching": MATCH_RULES,
    "cross_border": CROSSBORDER_RULES,
    "ucp600": UCP_ENGINE,
    "emissions": EMISSIONS_ENGINE,
}


def as_utc(moment: datetime) -> datetime:
    """A database time as UTC (SQLite gives back naive datetimes for timezone-aware columns)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def block_range(chain: Chain, start: datetime, end: datetime) -> tuple[int, int]:
    """The first block at or after ``start`` and the last at or before ``end`` (binary search)."""

    def first_at_or_after(ts: int) -> int:
        lo, hi = 0, int(chain.w3.eth.block_number) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if int(chain.w3.eth.get_block(mid)["timestamp"]) < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    return first_at_or_after(int(start.timestamp())), first_at_or_after(int(end.timestamp()) + 1) - 1


@dataclass
class Collected:
    documents: dict[str, StoredDocument] = field(default_factory=dict)
    receivables: dict[str, ReceivableRow] = field(default_factory=dict)
    credits: dict[str, CreditRow] = field(default_factory=dict)
    readings: dict[int, ReadingRow] = field(default_factory=dict)
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    declarations: dict[str, CustomsDeclarationRow] = field(default_factory=dict)  # by commitment

    def ids(self) -> set[str]:
        """Every id an event of the pack's records may carry, as lowercase 0x-hex."""
        found = set(self.documents) | set(self.receivables) | set(self.credits) | set(self.statements)
        found |= {r.batch_root for r in self.readings.values() if r.batch_root}
        found |= {r.device_id for r in self.readings.values()}
        found |= {d.declaration_id for d in self.declarations.values()}
        return {i.lower() for i in found}


def _order_documents(session: Session, buyer: str, po_number: str) -> list[StoredDocument]:
    query = select(StoredDocument).where(StoredDocument.buyer == buyer, StoredDocument.po_number == po_number)
    return list(session.exec(query))


def _collect(session: Session, org: str, blocks: tuple[int, int], period: tuple[int, int]) -> Collected:
    out = Collected()
    lo, hi = blocks
    # documents the organisation issued, or of orders it buys or supplies
    orders = session.exec(select(OrderRow).where(or_(OrderRow.buyer == org, OrderRow.supplier == org))).all()
    po_docs = [d for o in orders if (d := session.get(StoredDocument, o.document_id)) is not None]
    for doc in [
        *session.exec(select(StoredDocument).where(StoredDocument.issuer == org)),
        *(d for po in po_docs for d in _order_documents(session, po.buyer, po.po_number)),
    ]:
        if lo <= doc.anchored_block <= hi:
            out.documents[doc.doc_id] = doc
    # receivables it is party to, issued in the period, with their lineage and evidence
    mine = or_(ReceivableRow.creditor == org, ReceivableRow.debtor == org, ReceivableRow.holder == org)
    for row in session.exec(select(ReceivableRow).where(mine)):
        if lo <= row.issued_block <= hi:
            _add_receivable(session, out, row)
    # letters of credit it is party to
    party = or_(
        CreditRow.applicant == org,
        CreditRow.issuing_bank == org,
        CreditRow.advising_bank == org,
        CreditRow.beneficiary == org,
    )
    for credit in session.exec(select(CreditRow).where(party)):
        if lo <= credit.applied_block <= hi:
            out.credits[credit.credit_id] = credit
    # its anchored readings taken in the period
    for reading in _anchored_readings(session, period, ReadingRow.owner == org):
        assert reading.id is not None
        out.readings[reading.id] = reading
    for statement in session.exec(select(StatementRow).where(StatementRow.org == org)):
        if lo <= statement.submitted_block <= hi:
            _add_statement(out, statement)
    return out


def _add_receivable(session: Session, out: Collected, row: ReceivableRow) -> None:
    if row.receivable_id in out.receivables:
        return
    out.receivables[row.receivable_id] = row
    order = session.get(OrderRow, row.order_id)
    if order is not None and (po := session.get(StoredDocument, order.document_id)) is not None:
        of_order = _order_documents(session, order.buyer, po.po_number)
        for doc in of_order:
            out.documents[doc.doc_id] = doc
        waybills = [d.number for d in of_order if d.doc_type == "shipment"]
        ids = declarations_of_order(
            session, buyer=order.buyer, supplier=order.supplier, po_number=po.po_number, waybills=waybills
        )
        versions = select(CustomsDeclarationRow).where(col(CustomsDeclarationRow.declaration_id).in_(ids))
        for version in session.exec(versions):
            out.declarations[version.commitment] = version
    for doc_id in (row.invoice_doc, row.match_result):
        if doc_id and (evidence := session.get(StoredDocument, doc_id)) is not None:
            out.documents[evidence.doc_id] = evidence
    related = [row.parent] if row.parent else []
    related += [
        c.receivable_id
        for c in session.exec(select(ReceivableRow).where(ReceivableRow.parent == row.receivable_id))
    ]
    for rid in related:
        if (other := session.get(ReceivableRow, rid)) is not None:
            _add_receivable(session, out, other)


def _add_statement(out: Collected, row: StatementRow) -> None:
    out.statements[row.statement_id] = {
        "id": row.statement_id,
        "org": row.org,
        "scope": row.scope,
        "grams": int(row.grams),
        "factor_set": row.factor_set,
        "batches": json.loads(row.batches),
    }


def _anchored_readings(session: Session, period: tuple[int, int], *where: Any) -> list[ReadingRow]:
    anchored = select(ReadingBatchRow.root).where(ReadingBatchRow.status == "anchored")
    query = select(ReadingRow).where(
        col(ReadingRow.batch_root).in_(anchored),
        col(ReadingRow.timestamp) >= period[0],
        col(ReadingRow.timestamp) <= period[1],
        *where,
    )
    return list(session.exec(query))


def _statement_subjects(session: Session, chain: Chain, out: Collected) -> None:
    """Each statement's period and subject (from the chain), the readings it was computed from (the
    selection ``api.carbon.service`` makes) and, for scope 3 freight, its shipments."""
    for sid, statement in out.statements.items():
        view = chain.carbon().call("statement", from_hex32(sid))
        period, subject = (int(view[3]), int(view[4])), "0x" + bytes(view[6]).hex()
        statement.update({"period": list(period), "subject": subject})
        if statement["scope"] == 3:
            freight = resolve_freight_subject(session, statement["org"], subject)
            if freight is None:
                raise NotFound(
                    f"statement {sid}: its freight subject is not held here", code="subject_not_found"
                )
            statement["freight"] = {
                "label": freight.label,
                "shipments": [
                    {
                        "bl_number": s.bl_number,
                        "transport_mode": s.transport_mode,
                        "gross_weight_kg": None if s.gross_weight_kg is None else str(s.gross_weight_kg),
                    }
                    for s in freight.shipments
                ],
            }
            bindings = sorted({s.binding for s in freight.shipments})
            used = _anchored_readings(session, period, col(ReadingRow.binding).in_(bindings))
        else:
            used = _anchored_readings(session, period, ReadingRow.owner == statement["org"])
        for r in used:
            assert r.id is not None
            out.readings[r.id] = r
        statement["readings"] = sorted(r.id for r in used if r.id is not None)


# --- writing -----------------------------------------------------------------------------------------


def _document_record(folder: Path, doc: StoredDocument) -> dict[str, Any]:
    path = f"documents/{doc.doc_id}.json"
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).write_bytes(doc.canonical.encode())
    record: dict[str, Any] = {
        "id": doc.doc_id,
        "type": doc.doc_type,
        "number": doc.number,
        "issuer": doc.issuer,
        "po_number": doc.po_number,
        "buyer": doc.buyer,
        "salt": doc.salt,
        "commitment": doc.commitment,
        "anchored_block": doc.anchored_block,
        "anchored_tx": doc.anchored_tx,
        "file": path,
        "cid": doc.cid,
        "key": None,
        "sealed": None,
    }
    if doc.cid and doc.wrapped_key:
        record["key"] = "0x" + document_key(doc.wrapped_key, from_hex32(doc.doc_id)).hex()
        record["sealed"] = f"sealed/{doc.cid}"
        (folder / "sealed").mkdir(exist_ok=True)
        (folder / record["sealed"]).write_bytes(read_sealed(doc.cid))
    return record


def _declaration_record(folder: Path, row: CustomsDeclarationRow) -> dict[str, Any]:
    path = f"declarations/{row.commitment}.json"
    (folder / "declarations").mkdir(exist_ok=True)
    (folder / path).write_bytes(row.canonical.encode())
    return {
        "declaration_id": row.declaration_id,
        "commitment": row.commitment,
        "number": row.number,
        "salt": row.salt,
        "file": path,
    }


def _receivable_record(row: ReceivableRow) -> dict[str, Any]:
    return {
        "id": row.receivable_id,
        "creditor": row.creditor,
        "debtor": row.debtor,
        "holder": row.holder,
        "order": row.order_id,
        "invoice": row.invoice_doc,
        "currency": row.currency,
        "face_value": row.face_value,
        "repaid": row.repaid,
        "status": row.status,
        "match_status": row.match_status,
        "match_result": row.match_result,
        "waived": row.waived,
        "due_date": as_utc(row.due_date).isoformat(),
        "parent": row.parent,
        "issued_block": row.issued_block,
        "issued_tx": row.issued_tx,
    }


def _credit_record(session: Session, row: CreditRow) -> dict[str, Any]:
    amendments = session.exec(select(AmendmentRow).where(AmendmentRow.credit_id == row.credit_id))
    presentations = session.exec(select(PresentationRow).where(PresentationRow.credit_id == row.credit_id))
    return {
        "id": row.credit_id,
        "number": row.number,
        "applicant": row.applicant,
        "issuing_bank": row.issuing_bank,
        "advising_bank": row.advising_bank,
        "beneficiary": row.beneficiary,
        "currency": row.currency,
        "terms": json.loads(row.terms_json),
        "terms_hash": row.terms_hash,
        "applied_block": row.applied_block,
        "applied_tx": row.applied_tx,
        "amendments": [
            {"number": a.number, "terms": json.loads(a.terms_json), "terms_hash": a.terms_hash}
            for a in sorted(amendments, key=lambda a: a.number)
        ],
        "presentations": [
            {
                "id": p.presentation_id,
                "amount": p.amount,
                "documents": json.loads(p.documents_json),
                "documents_hash": p.documents_hash,
                "report": json.loads(p.report_json) if p.report_json else None,
                "result_hash": p.result_hash,
            }
            for p in sorted(presentations, key=lambda p: p.presented_block)
        ],
    }


def _reading_record(row: ReadingRow) -> dict[str, Any]:
    leaf = ["0x" + v.hex() if isinstance(v, bytes) else v for v in leaf_value(row)]
    return {
        "id": row.id,
        "owner": row.owner,
        "leaf_encoding": list(READING_LEAF_TYPES),
        "leaf": leaf,
        "root": row.batch_root,
        "proof": json.loads(row.proof or "[]"),
        "signature": row.signature,
        "signer": row.signer,
    }


def _events(session: Session, org: str, ids: set[str]) -> list[dict[str, Any]]:
    """Indexed events naming the organisation or one of the pack's records, in chain order."""
    wanted = ids | {org.lower()}

    def values(args: Any) -> Iterable[str]:
        for v in args.values() if isinstance(args, dict) else args:
            if isinstance(v, list):
                yield from values(v)
            elif isinstance(v, bool):
                continue
            elif isinstance(v, int):
                yield "0x" + v.to_bytes(32, "big").hex() if 0 <= v < 2**256 else str(v)
            else:
                yield str(v).lower()

    rows = session.exec(
        select(ChainEventRow).order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index))
    )
    return [
        {
            "contract": r.contract,
            "name": r.name,
            "block": r.block_number,
            "block_hash": r.block_hash,
            "tx_hash": r.tx_hash,
            "log_index": r.log_index,
            "args": json.loads(r.args),
        }
        for r in rows
        if wanted.intersection(values(json.loads(r.args)))
    ]


def export_pack(
    chain: Chain,
    session: Session,
    org: str,
    start: datetime,
    end: datetime,
    folder: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Write the pack of ``org``'s records in ``[start, end]`` into ``folder`` (which must not exist or be
    empty); returns its manifest."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(
            "give the period with a timezone (ISO 8601, e.g. 2026-01-01T00:00:00Z)", code="naive_time"
        )
    if end <= start:
        raise InvalidInput("the period ends before it starts", code="invalid_period")
    organisation = session.get(Organisation, org.lower())
    if organisation is None:
        raise NotFound(f"no organisation {org} in the consortium", code="organisation_not_found")
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInput(f"{folder} is not empty; give a new folder for the pack", code="pack_exists")
    folder.mkdir(parents=True, exist_ok=True)
    progress("finding the period's blocks")
    blocks = block_range(chain, start, end)
    progress(f"collecting records (blocks {blocks[0]}–{blocks[1]})")
    found = _collect(session, organisation.org_id, blocks, (int(start.timestamp()), int(end.timestamp())))
    _statement_subjects(session, chain, found)
    progress(f"writing {len(found.documents)} documents with their keys")
    documents = [
        _document_record(folder, d) for d in sorted(found.documents.values(), key=lambda d: d.anchored_block)
    ]
    write_json(folder / "records" / "documents.json", documents)
    write_json(
        folder / "records" / "receivables.json",
        [_receivable_record(r) for r in sorted(found.receivables.values(), key=lambda r: r.issued_block)],
    )
    write_json(
        folder / "records" / "declarations.json",
        [_declaration_record(folder, d) for _, d in sorted(found.declarations.items())],
    )
    write_json(
        folder / "records" / "credits.json",
        [_credit_record(session, c) for c in sorted(found.credits.values(), key=lambda c: c.applied_block)],
    )
    progress(f"writing {len(found.readings)} readings with their Merkle proofs")
    write_json(
        folder / "records" / "readings.json", [_reading_record(r) for _, r in sorted(found.readings.items())]
    )
    write_json(folder / "records" / "statements.json", list(found.statements.values()))
    for digest in sorted({s["factor_set"] for s in found.statements.values()}):
        factors = factor_set_by_digest(bytes.fromhex(digest[2:]))
        if factors is None:
            raise NotFound(f"factor set {digest} is not among {FACTORS_DIR}", code="factor_set_unknown")
        source = next(p for p in FACTORS_DIR.glob("*.json") if keccak(p.read_bytes()) == factors.digest)
        (folder / "factors").mkdir(exist_ok=True)
        shutil.copyfile(source, folder / "factors" / source.name)
    progress("writing the event log")
    events = _events(session, organisation.org_id, found.ids())
    (folder / EVENTS).write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in events))
    manifest = chain.require_manifest()
    (folder / DEPLOYMENT).write_text(manifest.to_json())
    return seal_manifest(
        folder,
        {
            "format": FORMAT,
            "organisation": {"id": organisation.org_id, "name": organisation.name},
            "period": {"from": start.astimezone(UTC).isoformat(), "to": end.astimezone(UTC).isoformat()},
            "blocks": {"from": blocks[0], "to": blocks[1]},
            "chain_id": manifest.chain_id,
            "network": manifest.network,
            "deployment": DEPLOYMENT,
            "generated_at": datetime.now(UTC).isoformat(),
            "rule_versions": RULE_VERSIONS,
            "counts": {
                "documents": len(documents),
                "declarations": len(found.declarations),
                "receivables": len(found.receivables),
                "credits": len(found.credits),
                "readings": len(found.readings),
                "statements": len(found.statements),
                "events": len(events),
            },
        },
    )
