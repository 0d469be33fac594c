"""Chain events, in chain order, folded into the records the compliance rules read (no I/O).

Like a projection, but stopped at the end of the report's period, so a report on a past period
shows the state of that time (holder, repaid, overdue, financed), not today's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from api.compliance.records import (
    FinancingRecord,
    Hop,
    OrderRecord,
    ReceivableRecord,
    Records,
    Ref,
    ThresholdChange,
)
from api.receivables.projection import ZERO, receivable_hex
from chain.currencies import currency_code
from chain.events import ChainEvent

# the events the fold reads, by contract
EVENTS = {
    "PurchaseOrders": ("OrderRegistered",),
    "Receivables": (
        "ReceivableIssued",
        "ReceivableConfirmed",
        "ReceivableSplit",
        "Transfer",
        "RepaymentRecorded",
        "ReceivableOverdue",
    ),
    "Financing": (
        "FinancingRequested",
        "FinancingOffered",
        "GreenFinancing",
        "FinancingAccepted",
        "FinancingFunded",
        "FinancingCancelled",
        "RecourseClaimed",
        "ReviewThresholdChanged",
    ),
}


def _currency(value: str) -> str:
    return currency_code(bytes.fromhex(value.removeprefix("0x")))


class _Fold:
    def __init__(self, times: Mapping[int, datetime], accounts: Mapping[str, str], dvp: set[str]) -> None:
        self.times, self.accounts, self.dvp = times, accounts, dvp
        self.records = Records()
        self.offers: dict[tuple[str, str], int] = {}
        self.green: dict[str, int] = {}

    def ref(self, e: ChainEvent) -> Ref:
        return Ref(e.name, e.block_number, e.tx_hash, e.log_index, self.times[e.block_number])

    def apply(self, e: ChainEvent) -> None:
        handler = getattr(self, f"_on_{e.name}", None)
        if handler is not None:
            handler(e)

    # --- orders and receivables -----------------------------------------------------------

    def _on_OrderRegistered(self, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        self.records.orders.append(
            OrderRecord(
                a["id"], a["buyer"], a["supplier"], _currency(a["currency"]), int(a["total"]), self.ref(e)
            )
        )

    def _on_ReceivableIssued(self, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        rid = receivable_hex(a["id"])
        self.records.receivables[rid] = ReceivableRecord(
            receivable_id=rid,
            creditor=a["creditor"],
            debtor=a["debtor"],
            holder=a["creditor"],
            currency=_currency(a["currency"]),
            face_value=int(a["faceValue"]),
            due_date=datetime.fromtimestamp(int(a["dueDate"]), UTC),
            issued=self.ref(e),
        )

    def _on_ReceivableConfirmed(self, e: ChainEvent) -> None:  # noqa: N802
        if (r := self.records.receivables.get(receivable_hex(e.args["id"]))) is not None:
            r.status = "confirmed"

    def _on_ReceivableSplit(self, e: ChainEvent) -> None:  # noqa: N802
        parent = self.records.receivables.get(receivable_hex(e.args["id"]))
        if parent is None:
            return
        children = [receivable_hex(c) for c in e.args["children"]]
        hop = Hop(
            "split",
            parent.receivable_id,
            parent.holder,
            parent.holder,
            parent.outstanding,
            parent.currency,
            self.ref(e),
            tuple(children),
        )
        self.records.hops.append(hop)
        parent.status = "split"
        for child, amount in zip(children, e.args["amounts"], strict=True):
            self.records.parents[child] = parent.receivable_id
            self.records.receivables[child] = replace(
                parent,
                receivable_id=child,
                face_value=int(amount),
                issued=self.ref(e),
                repaid=0,
                status="confirmed",
                marked_overdue=None,
                financing_id=None,
                financier=None,
                recourse=None,
            )

    def _on_Transfer(self, e: ChainEvent) -> None:  # noqa: N802
        r = self.records.receivables.get(receivable_hex(e.args["tokenId"]))
        if r is None or ZERO in (e.args["from"], e.args["to"]):
            return  # mints and burns: issuance and splits, recorded by their own events
        to_org = self.accounts.get(e.args["to"], r.holder)
        if e.tx_hash not in self.dvp and to_org != r.holder:
            self.records.hops.append(
                Hop("transfer", r.receivable_id, r.holder, to_org, r.outstanding, r.currency, self.ref(e))
            )
        r.holder = to_org

    def _on_RepaymentRecorded(self, e: ChainEvent) -> None:  # noqa: N802
        if (r := self.records.receivables.get(receivable_hex(e.args["id"]))) is not None:
            r.repaid = int(e.args["repaid"])
            if r.repaid == r.face_value:
                r.status = "repaid"

    def _on_ReceivableOverdue(self, e: ChainEvent) -> None:  # noqa: N802
        if (r := self.records.receivables.get(receivable_hex(e.args["id"]))) is not None:
            r.status, r.marked_overdue = "overdue", self.ref(e)

    # --- financing ------------------------------------------------------------------------

    def _on_FinancingRequested(self, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        receivable = self.records.receivables.get(receivable_hex(a["receivable"]))
        if receivable is None:
            return  # issued before the index starts: nothing to say about it
        self.records.financings[a["id"]] = FinancingRecord(
            financing_id=a["id"],
            receivable_id=receivable.receivable_id,
            holder=a["holder"],
            currency=receivable.currency,
            requested=self.ref(e),
        )

    def _on_FinancingOffered(self, e: ChainEvent) -> None:  # noqa: N802
        self.offers[(e.args["id"], e.args["financier"])] = int(e.args["advance"])

    def _on_GreenFinancing(self, e: ChainEvent) -> None:  # noqa: N802
        self.green[e.args["id"]] = int(e.args["advance"])  # emitted just before FinancingAccepted

    def _on_FinancingAccepted(self, e: ChainEvent) -> None:  # noqa: N802
        if (f := self.records.financings.get(e.args["id"])) is not None:
            f.financier, f.accepted, f.needs_review = (
                e.args["financier"],
                self.ref(e),
                bool(e.args["needsReview"]),
            )
            f.advance = self.green.pop(f.financing_id, None) or self.offers.get((f.financing_id, f.financier))

    def _on_FinancingFunded(self, e: ChainEvent) -> None:  # noqa: N802
        if (f := self.records.financings.get(e.args["id"])) is not None:
            f.funded, f.advance = self.ref(e), int(e.args["advance"])
            if (r := self.records.receivables.get(f.receivable_id)) is not None:
                r.financing_id, r.financier = f.financing_id, f.financier

    def _on_FinancingCancelled(self, e: ChainEvent) -> None:  # noqa: N802
        if (f := self.records.financings.get(e.args["id"])) is not None:
            f.cancelled = self.ref(e)

    def _on_RecourseClaimed(self, e: ChainEvent) -> None:  # noqa: N802
        f = self.records.financings.get(e.args["id"])
        if f is not None and (r := self.records.receivables.get(f.receivable_id)) is not None:
            r.recourse = self.ref(e)

    def _on_ReviewThresholdChanged(self, e: ChainEvent) -> None:  # noqa: N802
        change = ThresholdChange(int(e.args["previous"]), int(e.args["threshold"]), self.ref(e))
        self.records.threshold_changes.append(change)


def fold(
    events: Iterable[ChainEvent],
    times: Mapping[int, datetime],
    accounts: Mapping[str, str],
    initial_threshold: int,
) -> Records:
    """The records after ``events`` (chain order, the ``EVENTS`` of interest).

    ``times``: block number -> block time; ``accounts``: address -> organisation;
    ``initial_threshold``: the review threshold before the first ``ReviewThresholdChanged``."""
    events = list(events)
    dvp = {e.tx_hash for e in events if e.name == "FinancingFunded"}
    state = _Fold(times, accounts, dvp)
    for event in events:
        state.apply(event)
    state.records.initial_threshold = initial_threshold
    return state.records
