"""The demo's customs broker: files an export declaration with the embedded customs authority for every
shipment on the stack, then has customs release and clear it, so the demo shipments have declarations
the customs oracle operators attest (development stacks only; a real network has a real feed)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from api.documents.models import StoredDocument
from api.documents.service import purchase_order_document
from oracles.customs.authority import AuthorityError, CustomsAuthority

log = logging.getLogger(__name__)
OFFICE = "CNSZX01"
# HS codes of the demo catalogue (used when a PO line carries none)
DEMO_HS = {"BRK-220": "870830", "CAL-F4": "870830", "BLT-M8": "731815"}


def _major(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def declaration_for(shipment: dict[str, Any], po: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """An export declaration consistent with the shipment and its PO (values at the PO's prices)."""
    po_lines = {line["line_no"]: line for line in po["lines"]}
    lines = []
    for n, shipped in enumerate(sorted(shipment["lines"], key=lambda x: x["po_line_no"]), start=1):
        ordered = po_lines[shipped["po_line_no"]]
        value = round(float(shipped["quantity"]) * ordered["unit_price"])
        lines.append(
            {
                "line_no": n,
                "item": shipped["item"],
                "hs_code": ordered.get("hs_code") or DEMO_HS.get(shipped["item"], "847990"),
                "description": ordered.get("description") or shipped["item"],
                "quantity": shipped["quantity"],
                "unit": shipped["unit"],
                "value": _major(value),
                "origin_country": "CN",
            }
        )
    on_board = datetime.fromisoformat(shipment["shipped_on_board_at"])
    return {
        "declaration_number": f"EXP-{shipment['bl_number']}",
        "customs_office": OFFICE,
        "direction": "export",
        "exporter": shipment["shipper"],
        "exporter_name": names.get(shipment["shipper"], "exporter"),
        "importer": shipment["consignee"],
        "importer_name": names.get(shipment["consignee"], "importer"),
        "po_number": shipment["po_number"],
        "transport_document": shipment["bl_number"],
        "port_of_loading": shipment["port_of_loading"],
        "port_of_discharge": shipment["port_of_discharge"],
        "currency": po["currency"],
        "declared_value": _major(sum(round(float(x["value"]) * 100) for x in lines)),
        "declared_at": (on_board - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "lines": lines,
    }


def file_demo_declarations(engine: Engine, authority: CustomsAuthority) -> int:
    """File, release and clear a declaration for every shipment that has none yet; returns how many."""
    from api.participants.models import Organisation

    filed = 0
    with Session(engine) as session:
        names = {o.org_id: o.name for o in session.exec(select(Organisation))}
        for doc in session.exec(select(StoredDocument).where(StoredDocument.doc_type == "shipment")):
            shipment = json.loads(doc.canonical)
            number = f"EXP-{shipment['bl_number']}"
            po_doc = purchase_order_document(session, doc.buyer, doc.po_number)
            if po_doc is None:
                continue
            try:
                authority.record(number)
                continue  # filed already
            except AuthorityError:
                pass
            declaration = declaration_for(shipment, json.loads(po_doc.canonical), names)
            on_board = datetime.fromisoformat(shipment["shipped_on_board_at"])
            authority.file(declaration, at=declaration["declared_at"])
            for status, hours in (("released", 2), ("cleared", 30)):
                moment = min(on_board + timedelta(hours=hours), datetime.now(UTC))
                authority.advance(number, status, at=moment.isoformat().replace("+00:00", "Z"))
            filed += 1
    return filed


def run_demo_broker(engine: Engine, authority: CustomsAuthority, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            if count := file_demo_declarations(engine, authority):
                log.info("filed %d demo customs declaration(s)", count)
        except Exception:  # the demo broker must never take the stack down
            log.exception("the demo customs broker failed; retrying")
        stop.wait(3)
