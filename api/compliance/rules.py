"""The compliance rules: pure functions from a period's records to findings (no I/O).

Stable codes, one per rule (the report groups findings by them):

- ``LARGE_FINANCING`` — a financing funded in the period with an advance at or above the large
  amount of its currency (default 1,000,000.00 in the currency's minor units; a parameter).
- ``RAPID_SPLIT_TRANSFER`` — a receivable's lineage split and/or passed between organisations
  ``rapid_min_hops`` or more times (default 3) within ``rapid_window`` (default 24 h), the hops
  listed in order along one line of descent from the original receivable.
- ``CIRCULAR_TRADE`` — a cycle in the period's trade graph, where an edge X → Y means X owes or
  pays Y: X ordered from Y (a purchase order) or X passed a receivable to Y. A cycle
  (A → B → A, A → B → C → A, …) is value returning to where it started; its organisations are
  "related" by that cycle (the platform holds no ownership data).
- ``ABOVE_REVIEW_THRESHOLD`` — a financing accepted in the period whose advance exceeded the
  on-chain review threshold in force at its acceptance, with how it was reviewed.
- ``UNREVIEWED_FINANCING`` — one of those that was not approved by a risk reviewer by the end of
  the period: still pending, cancelled before review, or (never expected) funded without one.
- ``OVERDUE_RECEIVABLE`` — a confirmed receivable past its due date and not repaid in full at the
  end of the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from api.compliance.records import (
    FinancingRecord,
    Finding,
    Hop,
    OrderRecord,
    Period,
    ReceivableRecord,
    Records,
    Ref,
    ThresholdChange,
    iso,
)
from api.trade.money import exponent
from chain.errors import InvalidInput

LARGE_FINANCING = "LARGE_FINANCING"
RAPID_SPLIT_TRANSFER = "RAPID_SPLIT_TRANSFER"
CIRCULAR_TRADE = "CIRCULAR_TRADE"
ABOVE_REVIEW_THRESHOLD = "ABOVE_REVIEW_THRESHOLD"
UNREVIEWED_FINANCING = "UNREVIEWED_FINANCING"
OVERDUE_RECEIVABLE = "OVERDUE_RECEIVABLE"
CODES = (
    LARGE_FINANCING,
    RAPID_SPLIT_TRANSFER,
    CIRCULAR_TRADE,
    ABOVE_REVIEW_THRESHOLD,
    UNREVIEWED_FINANCING,
    OVERDUE_RECEIVABLE,
)
DEFAULT_LARGE_MAJOR = 1_000_000  # 1,000,000.00 in a currency's major units


@dataclass(frozen=True)
class Parameters:
    """The rules' thresholds. ``large_financing_minor`` overrides the large amount per currency."""

    large_financing_minor: Mapping[str, int] = field(default_factory=dict)
    rapid_min_hops: int = 3
    rapid_window: timedelta = timedelta(hours=24)
    max_cycle_length: int = 6

    def __post_init__(self) -> None:
        for currency, amount in self.large_financing_minor.items():
            exponent(currency)  # an unknown currency is refused
            if amount < 0:
                raise InvalidInput(
                    f"large_financing {currency}:{amount} is negative", code="invalid_parameter"
                )
        if self.rapid_min_hops < 1 or self.rapid_window <= timedelta(0) or self.max_cycle_length < 2:
            raise InvalidInput(
                "rapid_min_hops must be at least 1, the window positive and cycles at least 2 long",
                code="invalid_parameter",
            )

    @staticmethod
    def parse_large(values: Iterable[str]) -> dict[str, int]:
        """``["USD:100000000", "JPY:1000000"]`` (minor units per currency) as a mapping."""
        out: dict[str, int] = {}
        for value in values:
            currency, _, amount = value.strip().partition(":")
            if not amount.isdigit():
                raise InvalidInput(
                    f"large_financing {value!r}: write CURRENCY:MINOR_UNITS, e.g. USD:100000000",
                    code="invalid_parameter",
                )
            out[currency.upper()] = int(amount)
        return out

    def large_threshold(self, currency: str) -> int:
        default = DEFAULT_LARGE_MAJOR * 10 ** exponent(currency)
        return self.large_financing_minor.get(currency, default)

    def as_json(self, currencies: Iterable[str]) -> dict[str, Any]:
        """The parameters in force, with the large amount of every currency the report saw."""
        seen = sorted({*currencies, *self.large_financing_minor})
        return {
            "large_financing_minor": {c: self.large_threshold(c) for c in seen},
            "large_financing_default_major": DEFAULT_LARGE_MAJOR,
            "rapid_min_hops": self.rapid_min_hops,
            "rapid_window_seconds": int(self.rapid_window.total_seconds()),
            "max_cycle_length": self.max_cycle_length,
        }


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v is not None))


# --- financings -------------------------------------------------------------------------------


def _financing_details(f: FinancingRecord) -> dict[str, Any]:
    return {
        "financing": f.financing_id,
        "receivable": f.receivable_id,
        "holder": f.holder,
        "financier": f.financier,
    }


def large_financings(
    financings: Iterable[FinancingRecord], period: Period, params: Parameters
) -> list[Finding]:
    found = []
    for f in financings:
        if f.funded is None or f.funded not in period or f.advance is None:
            continue
        threshold = params.large_threshold(f.currency)
        if f.advance >= threshold:
            details = {**_financing_details(f), "threshold_minor": threshold, "funded_at": iso(f.funded.at)}
            found.append(
                Finding(
                    LARGE_FINANCING,
                    (f.financing_id, f.receivable_id),
                    _unique((f.holder, f.financier)),
                    f.advance,
                    f.currency,
                    (f.funded,),
                    details,
                )
            )
    return sorted(found, key=_first)


def _first(finding: Finding) -> tuple[int, int]:
    return finding.evidence[0].order


def threshold_at(initial: int, changes: Iterable[ThresholdChange], ref: Ref) -> int:
    """The review threshold in force just before ``ref`` (changes applied in chain order)."""
    threshold = initial
    for change in sorted(changes, key=lambda c: c.ref.order):
        if change.ref.order >= ref.order:
            break
        threshold = change.threshold
    return threshold


def _review(f: FinancingRecord, as_of: datetime) -> tuple[dict[str, Any], Ref | None]:
    """How ``f`` was reviewed, and the event that decided it (None while pending)."""
    assert f.accepted is not None
    decided: Ref | None
    if f.needs_review and f.funded is not None:
        status, decided = "approved", f.funded
    elif f.cancelled is not None:
        status, decided = "cancelled_before_review", f.cancelled
    elif f.funded is not None:
        status, decided = "funded_without_review", f.funded
    else:
        status, decided = "pending", None
    approved = status == "approved"
    review = {
        "status": status,
        "by_org": f.reviewer_org if approved else None,
        "by_account": f.reviewer_account if approved else None,
        "tx": decided.tx if decided else None,
        "block": decided.block if decided else None,
        "at": iso(decided.at) if decided else None,
        "waited_seconds": int(((decided.at if decided else as_of) - f.accepted.at).total_seconds()),
    }
    return review, decided


def reviews(
    financings: Iterable[FinancingRecord],
    initial_threshold: int,
    changes: Sequence[ThresholdChange],
    period: Period,
    as_of: datetime,
) -> tuple[list[Finding], list[Finding]]:
    """``ABOVE_REVIEW_THRESHOLD`` findings, and the ``UNREVIEWED_FINANCING`` ones among them."""
    above, unreviewed = [], []
    for f in financings:
        if f.accepted is None or f.accepted not in period or f.advance is None:
            continue
        threshold = threshold_at(initial_threshold, changes, f.accepted)
        if f.advance <= threshold and not f.needs_review:
            continue
        review, decided = _review(f, as_of)
        finding = Finding(
            ABOVE_REVIEW_THRESHOLD,
            (f.financing_id, f.receivable_id),
            _unique((f.holder, f.financier)),
            f.advance,
            f.currency,
            (f.accepted, decided) if decided else (f.accepted,),
            {
                **_financing_details(f),
                "threshold_minor": threshold,
                "needs_review_on_chain": f.needs_review,
                "accepted_at": iso(f.accepted.at),
                "review": review,
            },
        )
        above.append(finding)
        if review["status"] != "approved":
            unreviewed.append(replace(finding, code=UNREVIEWED_FINANCING))
    return sorted(above, key=_first), sorted(unreviewed, key=_first)


# --- receivables ------------------------------------------------------------------------------


def _lineage(parents: Mapping[str, str], rid: str) -> list[str]:
    """``rid`` and its ancestors, the original receivable last."""
    line = [rid]
    while (parent := parents.get(line[-1])) is not None and parent not in line:
        line.append(parent)
    return line


def _densest(hops: Sequence[Hop], window: timedelta) -> Sequence[Hop]:
    """The longest run of consecutive ``hops`` within ``window`` (the earliest of equals)."""
    best, start = (0, 0), 0
    for end in range(len(hops)):
        while hops[end].ref.at - hops[start].ref.at > window:
            start += 1
        if end + 1 - start > best[1] - best[0]:
            best = (start, end + 1)
    return hops[best[0] : best[1]]


def rapid_split_transfers(
    parents: Mapping[str, str], hops: Iterable[Hop], period: Period, params: Parameters
) -> list[Finding]:
    """``parents``: split part -> the receivable it was split from."""
    by_receivable: dict[str, list[Hop]] = defaultdict(list)
    for hop in sorted((h for h in hops if h.ref in period), key=lambda h: h.ref.order):
        by_receivable[hop.receivable_id].append(hop)
    best: dict[str, Sequence[Hop]] = {}  # original receivable -> its densest run of hops
    for rid in sorted({*parents, *by_receivable}):
        line = _lineage(parents, rid)
        path = sorted((h for r in line for h in by_receivable.get(r, ())), key=lambda h: h.ref.order)
        if len(path) < params.rapid_min_hops:
            continue
        run = _densest(path, params.rapid_window)
        rank = (-len(run), [h.ref.order for h in run])
        kept = best.get(line[-1])
        if len(run) >= params.rapid_min_hops and (
            kept is None or rank < (-len(kept), [h.ref.order for h in kept])
        ):
            best[line[-1]] = run
    found = []
    for root, run in best.items():
        details = {
            "lineage": root,
            "hop_count": len(run),
            "span_seconds": int((run[-1].ref.at - run[0].ref.at).total_seconds()),
            "window_seconds": int(params.rapid_window.total_seconds()),
            "hops": [h.as_json() for h in run],
        }
        found.append(
            Finding(
                RAPID_SPLIT_TRANSFER,
                _unique([root, *(h.receivable_id for h in run)]),
                _unique(o for h in run for o in (h.from_org, h.to_org)),
                run[0].amount,
                run[0].currency,
                tuple(h.ref for h in run),
                details,
            )
        )
    return sorted(found, key=_first)


def overdue_receivables(receivables: Iterable[ReceivableRecord], as_of: datetime) -> list[Finding]:
    found = []
    for r in receivables:
        if r.status not in ("confirmed", "overdue") or r.due_date >= as_of or r.outstanding <= 0:
            continue
        details = {
            "receivable": r.receivable_id,
            "creditor": r.creditor,
            "debtor": r.debtor,
            "holder": r.holder,
            "face_value_minor": r.face_value,
            "repaid_minor": r.repaid,
            "outstanding_minor": r.outstanding,
            "due_date": iso(r.due_date),
            "days_overdue": (as_of - r.due_date).days,
            "marked_overdue_on_chain": r.marked_overdue is not None,
            "financed": r.financing_id is not None,
            "financing": r.financing_id,
            "financier": r.financier,
            "recourse_claimed": r.recourse is not None,
        }
        evidence = tuple(ref for ref in (r.issued, r.marked_overdue, r.recourse) if ref is not None)
        found.append(
            Finding(
                OVERDUE_RECEIVABLE,
                _unique((r.receivable_id, r.financing_id)),
                _unique((r.debtor, r.creditor, r.holder, r.financier)),
                r.outstanding,
                r.currency,
                evidence,
                details,
            )
        )
    return sorted(found, key=lambda f: (f.details["due_date"], f.objects))


# --- the trade graph --------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeEdge:
    """``payer`` owes or pays ``payee``: it ordered from it, or passed it a receivable."""

    kind: str  # order | receivable_transfer
    payer: str
    payee: str
    object_id: str
    amount: int
    currency: str
    ref: Ref

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.object_id,
            "amount_minor": self.amount,
            "currency": self.currency,
            **self.ref.as_json(),
        }


def trade_edges(orders: Iterable[OrderRecord], hops: Iterable[Hop], period: Period) -> list[TradeEdge]:
    edges = [
        TradeEdge("order", o.buyer, o.supplier, o.order_id, o.total, o.currency, o.registered)
        for o in orders
        if o.registered in period
    ] + [
        TradeEdge("receivable_transfer", h.from_org, h.to_org, h.receivable_id, h.amount, h.currency, h.ref)
        for h in hops
        if h.kind == "transfer" and h.ref in period
    ]
    return sorted((e for e in edges if e.payer != e.payee), key=lambda e: e.ref.order)


def _cycles(successors: Mapping[str, Sequence[str]], limit: int) -> list[tuple[str, ...]]:
    """Every elementary cycle of at most ``limit`` organisations, each once, from its smallest id."""
    found: list[tuple[str, ...]] = []

    def walk(path: list[str]) -> None:
        for nxt in successors.get(path[-1], ()):
            if nxt == path[0] and len(path) >= 2:
                found.append(tuple(path))
            elif nxt > path[0] and nxt not in path and len(path) < limit:
                walk([*path, nxt])

    for start in sorted(successors):
        walk([start])
    return found


def circular_trades(
    orders: Iterable[OrderRecord], hops: Iterable[Hop], period: Period, params: Parameters
) -> list[Finding]:
    links: dict[tuple[str, str], list[TradeEdge]] = defaultdict(list)
    for edge in trade_edges(orders, hops, period):
        links[(edge.payer, edge.payee)].append(edge)
    successors: dict[str, list[str]] = defaultdict(list)
    for payer, payee in sorted(links):
        successors[payer].append(payee)
    found = []
    for cycle in _cycles(successors, params.max_cycle_length):
        steps = [(a, cycle[(i + 1) % len(cycle)]) for i, a in enumerate(cycle)]
        edges = [e for step in steps for e in links[step]]
        currencies = {e.currency for e in edges}
        circulated = (
            min(sum(e.amount for e in links[step]) for step in steps) if len(currencies) == 1 else None
        )
        found.append(
            Finding(
                CIRCULAR_TRADE,
                _unique(e.object_id for e in edges),
                cycle,
                circulated,
                currencies.pop() if len(currencies) == 1 else None,
                tuple(e.ref for e in edges),
                {
                    "cycle": [*cycle, cycle[0]],
                    "links": [
                        {"from": a, "to": b, "edges": [e.as_json() for e in links[(a, b)]]} for a, b in steps
                    ],
                },
            )
        )
    return found


# --- the report -------------------------------------------------------------------------------


def in_scope(records: Records, organisations: frozenset[str]) -> Records:
    """The records one of ``organisations`` is a party to (what an auditor they authorised sees)."""

    def seen(*parties: str | None) -> bool:
        return any(p in organisations for p in parties)

    return Records(
        receivables={
            k: r for k, r in records.receivables.items() if seen(r.creditor, r.debtor, r.holder, r.financier)
        },
        financings={k: f for k, f in records.financings.items() if seen(f.holder, f.financier)},
        orders=[o for o in records.orders if seen(o.buyer, o.supplier)],
        hops=[h for h in records.hops if seen(h.from_org, h.to_org)],
        parents=records.parents,  # lineage: ids only, so hops of its parts connect
        threshold_changes=records.threshold_changes,
        initial_threshold=records.initial_threshold,
    )


def evaluate(
    records: Records, period: Period, as_of: datetime, params: Parameters
) -> dict[str, list[Finding]]:
    """Every rule over ``records``: findings by code (every code present, maybe empty)."""
    financings = list(records.financings.values())
    above, unreviewed = reviews(
        financings, records.initial_threshold, records.threshold_changes, period, as_of
    )
    return {
        LARGE_FINANCING: large_financings(financings, period, params),
        RAPID_SPLIT_TRANSFER: rapid_split_transfers(records.parents, records.hops, period, params),
        CIRCULAR_TRADE: circular_trades(records.orders, records.hops, period, params),
        ABOVE_REVIEW_THRESHOLD: above,
        UNREVIEWED_FINANCING: unreviewed,
        OVERDUE_RECEIVABLE: overdue_receivables(records.receivables.values(), as_of),
    }
