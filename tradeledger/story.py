"""The receivables story end to end, through the same services the API uses.

PO (ERP CSV) -> carrier booked -> shipment -> goods receipt -> invoice (receivable, matched,
attested) -> confirmation -> split 60/40 -> 40 % passed to a tier-2 supplier
-> tier-2 financing (DvP) -> the buyer repays both holders. Used by
``tradeledger demo`` and by the benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from api.auth.service import Caller
from api.financing.schemas import OfferIn
from api.financing.service import FinancingService
from api.orders.schemas import GoodsReceiptIn, ShipmentIn
from api.orders.service import OrdersService
from api.participants.models import Organisation
from api.receivables.schemas import InvoiceIn
from api.receivables.service import ReceivablesService
from chain.errors import NotFound
from chain.ids import to_hex32
from tradeledger.runtime import Stack

Progress = Callable[[str], None]

CAST = {
    "buyer": "acme-motors",
    "supplier": "shenzhen-precision",
    "tier2": "dongguan-castings",
    "carrier": "fastfreight",
    "bank": "harbour-bank",
}
PO_CSV = """po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price
{po},USD,{issued},{delivery},1,BRK-220,Brake disc 220 mm,400,EA,"1,250.00"
{po},USD,{issued},{delivery},2,CAL-F4,Brake caliper front,200,EA,680.00
{po},USD,{issued},{delivery},3,BLT-M8,Bolt M8x40,5000,PCE,0.35
"""
LINES = [
    {"po_line_no": 1, "item": "BRK-220", "quantity": "400", "unit": "EA"},
    {"po_line_no": 2, "item": "CAL-F4", "quantity": "200", "unit": "EA"},
    {"po_line_no": 3, "item": "BLT-M8", "quantity": "5000", "unit": "PCE"},
]
PRICES = ["1250.00", "680.00", "0.35"]


@dataclass
class StoryResult:
    order_id: str = ""
    receivable_id: str = ""
    parts: list[str] = field(default_factory=list)
    financing_id: str = ""
    face_value: int = 0
    advance: int = 0
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)
    confirmed_to_funded: float = 0.0
    balances: dict[str, int] = field(default_factory=dict)


def caller_for(session: Session, handle: str) -> Caller:
    """The caller acting for organisation ``handle`` (or its 0x… id) with every scope."""
    from tradeledger.fleet import resolve_org

    org = session.get(Organisation, to_hex32(resolve_org(handle)))
    if org is None:
        raise NotFound(
            f"organisation {handle!r} is not registered; start the stack with `tradeledger up` first",
            code="organisation_not_found",
        )
    return Caller(org.org_id, org.role, org.status, 0, ("read", "write", "admin"))


def run_story(stack: Stack, progress: Progress | None = None, *, tag: str | None = None) -> StoryResult:
    say = progress or (lambda _: None)
    tag = tag or datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    result = StoryResult()
    with Session(stack.engine) as session:
        who = {role: caller_for(session, handle) for role, handle in CAST.items()}
        chain, indexer = stack.chain, stack.indexer
        orders = OrdersService(session, chain, indexer)
        receivables = ReceivablesService(session, chain, indexer)
        financing = FinancingService(session, chain, indexer)
        clock = time.perf_counter()

        def step(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            result.steps.append((name, now - clock))
            clock = now
            say(name)

        today = datetime.now(UTC).date()
        po = f"PO-{tag}"
        csv = PO_CSV.format(po=po, issued=today - timedelta(days=30), delivery=today - timedelta(days=5))
        order = orders.upload(who["buyer"], csv=csv, supplier=who["supplier"].org_id)
        result.order_id = order.id
        step(f"{po} uploaded by ACME Motors (CSV, {order.total_minor / 100:,.2f} USD)")
        orders.book_carrier(who["supplier"], order.id, who["carrier"].org_id)
        step("FastFreight booked as carrier by Shenzhen Precision (off chain)")
        orders.add_shipment(
            who["carrier"],
            order.id,
            ShipmentIn(
                bl_number=f"BL-{tag}",
                port_of_loading="CNSZX",
                port_of_discharge="NLRTM",
                shipped_on_board_at=datetime.now(UTC) - timedelta(days=20),
                lines=LINES,
                transport_mode="deep_sea_container",  # for scope 3 freight statements
                gross_weight_kg=Decimal("12500"),
            ),
        )
        step("bill of lading posted by FastFreight")
        orders.add_goods_receipt(
            who["buyer"],
            order.id,
            GoodsReceiptIn(
                receipt_number=f"GR-{tag}", received_at=datetime.now(UTC) - timedelta(days=2), lines=LINES
            ),
        )
        step("goods receipt posted by ACME Motors")
        lines = [{**line, "unit_price": price} for line, price in zip(LINES, PRICES, strict=True)]
        issued = receivables.issue(
            who["supplier"],
            InvoiceIn(
                order_id=order.id,
                invoice_number=f"INV-{tag}",
                currency="USD",
                issue_date=today,
                due_date=today + timedelta(days=90),
                lines=lines,
            ),
        )
        result.receivable_id, result.face_value = issued.id, issued.face_value_minor
        step(f"invoice issued as receivable, three-document match: {issued.match_status}")
        for role, amount in (("buyer", issued.face_value_minor), ("bank", issued.face_value_minor)):
            financing.deposit(who["bank"], who[role].org_id, amount)
        step("Harbour Bank tokenized deposits for ACME Motors and itself")
        receivables.confirm(who["buyer"], issued.id, waive=False)
        confirmed_at = time.perf_counter()
        step("receivable confirmed by ACME Motors (確權)")
        sixty = issued.face_value_minor * 60 // 100
        split = receivables.split(who["supplier"], issued.id, [sixty, issued.face_value_minor - sixty])
        result.parts = [p.id for p in split.parts]
        step("split 60/40 by Shenzhen Precision")
        receivables.transfer(who["supplier"], result.parts[1], who["tier2"].org_id)
        step("40 % passed to tier-2 supplier Dongguan Castings")
        part = split.parts[1].face_value_minor
        requested = financing.request(who["tier2"], result.parts[1], part * 90 // 100)
        result.financing_id = requested.id
        advance = part * 97 // 100
        financing.offer(
            who["bank"], requested.id, OfferIn(advance_minor=advance, discount_bps=350, tenor_days=90)
        )
        funded = financing.accept(who["tier2"], requested.id, who["bank"].org_id)
        result.advance = funded.advance_minor or 0
        result.confirmed_to_funded = time.perf_counter() - confirmed_at
        step(
            f"Dongguan Castings financed by Harbour Bank: {funded.status}, "
            f"advance {advance / 100:,.2f} USD (DvP)"
        )
        financing.repay(who["buyer"], result.parts[0], sixty)
        financing.repay(who["buyer"], result.parts[1], part)
        step("ACME Motors repaid both holders at maturity")
        result.balances = {role: financing.balance(who[role].org_id).balance_minor for role in CAST}
    return result
