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

    def _on_GreenTermsOffered(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        self._set(
            session,
            OfferRow,
            (a["id"], a["financier"]),
            green_advance=int(a["advance"]),
            green_discount_bps=a["discountBps"],
            green_min_score_bps=a["minScoreBps"],
        )

    def _on_GreenFinancing(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        """Emitted before FinancingAccepted when the holder's score qualified."""
        a = e.args
        self._set(
            session,
            FinancingRow,
            a["id"],
            green=True,
            advance=int(a["advance"]),
            discount_bps=a["discountBps"],
        )

    def _on_FinancingAccepted(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        row = self._set(session, FinancingRow, a["id"], financier=a["financier"])
        offer = session.get(OfferRow, (a["id"], a["financier"]))
        if row is None:
            return
        if not row.green and offer is not None:
            row.advance, row.discount_bps = offer.advance, offer.discount_bps
        if a["needsReview"]:
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


class CollateralProjection(EventProjection):
    """Carbon credits pledged as collateral for a financing (CarbonCredits events)."""

    contract = "CarbonCredits"
    tables: Sequence[type[SQLModel]] = ()

    def _on_CreditsPledged(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        self._set(
            session,
            FinancingRow,
            a["financing"],
            collateral_token=f"0x{int(a['tokenId']):064x}",
            collateral_kg=int(a["kg"]),
            collateral_status="pledged",
        )

    def _on_CreditsReleased(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, FinancingRow, e.args["financing"], collateral_status="released")

    def _on_CreditsSeized(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, FinancingRow, e.args["financing"], collateral_status="seized")
