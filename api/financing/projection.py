"""Builds ``financings`` and ``financing_offers`` from Financing events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.financing.models import FinancingRow, OfferRow
from api.receivables.projection import receivable_hex
from chain.events import ChainEvent

STATUS_BY_EVENT = {
    "FinancingCancelled": "cancelled",
    "FinancingRepaid": "repaid",
    "RecourseClaimed": "recourse_claimed",
}


class FinancingProjection:
    tables: Sequence[type[SQLModel]] = (OfferRow, FinancingRow)

    def apply(self, session: Session, event: ChainEvent) -> None:
        if event.contract != "Financing":
            return
        a = event.args
        if event.name == "FinancingRequested":
            session.add(
                FinancingRow(
                    financing_id=a["id"],
                    receivable_id=receivable_hex(a["receivable"]),
                    holder=a["holder"],
                    min_advance=a["minAdvance"],
                    status="requested",
                    requested_block=event.block_number,
                )
            )
        elif event.name == "FinancingOffered":
            session.merge(
                OfferRow(
                    financing_id=a["id"],
                    financier=a["financier"],
                    advance=a["advance"],
                    discount_bps=a["discountBps"],
                    tenor_days=a["tenorDays"],
                    recourse=a["recourse"],
                    offered_block=event.block_number,
                )
            )
        elif (row := session.get(FinancingRow, a.get("id", ""))) is not None:
            if event.name == "FinancingAccepted":
                row.financier = a["financier"]
                offer = session.get(OfferRow, (row.financing_id, a["financier"]))
                row.advance = offer.advance if offer is not None else None
                row.status = "pending_review" if a["needsReview"] else row.status
            elif event.name == "FinancingFunded":
                row.status, row.funded_block, row.advance = "funded", event.block_number, int(a["advance"])
            elif event.name in STATUS_BY_EVENT:
                row.status = STATUS_BY_EVENT[event.name]
            session.add(row)
        session.flush()
