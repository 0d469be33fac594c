"""Chain events folded into the compliance records, without a chain: lineage, holders by account,
the financing's DvP not counted as a hop, the accepted advance (green terms) and the review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.compliance.history import fold
from chain.events import ChainEvent

T0 = datetime(2026, 3, 1, tzinfo=UTC)
A, B, BANK = ("0x" + c * 64 for c in "ab9")
ACCOUNTS = {"0x" + "A" * 40: A, "0x" + "B" * 40: B, "0x" + "9" * 40: BANK}
ZERO = "0x" + "0" * 40
USD = "0x555344"  # bytes3 "USD"
FID = "0x" + "f" * 64


def event(block: int, contract: str, name: str, tx: int | None = None, **args: Any) -> ChainEvent:
    return ChainEvent(
        contract, name, args, "0x" + "c" * 40, block, "0x" + "0" * 64, f"0x{tx or block:064x}", 0
    )


def story() -> list[ChainEvent]:
    """Receivable 1 (A on B) split into 2 and 3; 3 passed to B; 2 financed by the bank with green terms."""
    issued = {
        "creditor": A,
        "debtor": B,
        "order": "0x" + "1" * 64,
        "invoice": "0x" + "2" * 64,
        "currency": USD,
    }
    return [
        event(
            1, "Receivables", "ReceivableIssued", id=1, faceValue=1_000, dueDate=int(T0.timestamp()), **issued
        ),
        event(1, "Receivables", "Transfer", **{"from": ZERO, "to": "0x" + "A" * 40, "tokenId": 1}),
        event(2, "Receivables", "ReceivableConfirmed", id=1, debtor=B, waived=False),
        event(3, "Receivables", "ReceivableSplit", id=1, children=[2, 3], amounts=[600, 400]),
        event(4, "Receivables", "Transfer", **{"from": "0x" + "A" * 40, "to": "0x" + "B" * 40, "tokenId": 3}),
        event(5, "Financing", "ReviewThresholdChanged", previous=10_000, threshold=500),
        event(6, "Financing", "FinancingRequested", id=FID, receivable=2, holder=A, minAdvance=0),
        event(
            7,
            "Financing",
            "FinancingOffered",
            id=FID,
            financier=BANK,
            advance=540,
            discountBps=9,
            tenorDays=9,
        ),
        event(8, "Financing", "GreenFinancing", id=FID, holder=A, scoreBps=9, discountBps=9, advance=570),
        event(8, "Financing", "FinancingAccepted", id=FID, financier=BANK, needsReview=True),
        event(9, "Receivables", "Transfer", **{"from": "0x" + "A" * 40, "to": "0x" + "9" * 40, "tokenId": 2}),
        event(9, "Financing", "FinancingFunded", id=FID, receivable=2, financier=BANK, advance=570),
        event(10, "Receivables", "RepaymentRecorded", id=3, amount=400, repaid=400),
    ]


def test_the_fold_keeps_lineage_holders_and_the_financing_but_not_the_dvp_as_a_hop() -> None:
    times = {n: T0 + timedelta(minutes=n) for n in range(1, 11)}

    records = fold(story(), times, ACCOUNTS, 10_000)

    two, three = f"0x{2:064x}", f"0x{3:064x}"
    assert records.parents == {two: f"0x{1:064x}", three: f"0x{1:064x}"}
    assert [(h.kind, h.receivable_id, h.from_org, h.to_org, h.amount) for h in records.hops] == [
        ("split", f"0x{1:064x}", A, A, 1_000),
        ("transfer", three, A, B, 400),
    ]
    r2, r3 = records.receivables[two], records.receivables[three]
    assert (r2.holder, r2.financing_id, r2.financier, r2.status) == (BANK, FID, BANK, "confirmed")
    assert (r3.holder, r3.repaid, r3.status) == (B, 400, "repaid")
    f = records.financings[FID]
    assert (f.advance, f.needs_review, f.accepted.block, f.funded.block) == (570, True, 8, 9)  # type: ignore[union-attr]
    assert (records.initial_threshold, [c.threshold for c in records.threshold_changes]) == (10_000, [500])


def test_events_left_out_are_not_in_the_records() -> None:
    times = {n: T0 + timedelta(minutes=n) for n in range(1, 11)}

    records = fold(story()[:10], times, ACCOUNTS, 10_000)  # up to the acceptance: waiting for review

    f = records.financings[FID]
    assert (f.advance, f.funded, records.receivables[f"0x{3:064x}"].repaid) == (570, None, 0)
