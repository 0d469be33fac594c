"""Builds ``financings`` and ``financing_offers`` from Financing events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.financing.models import FinancingRow, OfferRow
from api.projection_base import EventProjection
from api.receivables.projection import receivable_hex
from chain.events import ChainEvent


class FinancingProjection(EventProjection):
    contract = "Financing"
    tables: Sequence[type[SQLModel]] = (OfferRow, FinancingRow)

    def _on_FinancingRequested(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.add(
            FinancingRow(
                financing_id=a["id"],
                receivable_id=receivable_hex(a["receivable"]),
                holder=a["holder"],
                min_advance=a["minAdvance"],
                status="requested",
                requested_block=e.block_number,
            )
        )

    def _on_FinancingOffered(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.merge(
            OfferRow(
                financing_id=a["id"],
                financier=a["financier"],
                advance=a["advance"],
                discount_bps=a["discountBps"],
                tenor_days=a["tenorDays"],
                recourse=a["recourse"],
                offered_block=e.block_number,
            )
        )

    def _on_FinancingAccepted(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        offer = session.get(OfferRow, (a["id"], a["financier"]))
        row = self._set(
            session,
            FinancingRow,
            a["id"],
            financier=a["financier"],
            advance=offer.advance if offer is not None else None,
        )
        if row is not None and a["needsReview"]:
            row.status = "pending_review"

    def _on_FinancingFunded(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(
            session,
            FinancingRow,
            e.args["id"],
            status="funded",
            funded_block=e.block_number,
            advance=int(e.args["advance"]),
        )

    def _on_FinancingCancelled(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, FinancingRow, e.args["id"], status="cancelled")

    def _on_FinancingRepaid(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, FinancingRow, e.args["id"], status="repaid")

    def _on_RecourseClaimed(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, FinancingRow, e.args["id"], status="recourse_claimed")
