"""The compliance rules, without a chain: for every rule a case that triggers it (exact findings)
and the boundary cases that do not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

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
)
from api.compliance.rules import (
    ABOVE_REVIEW_THRESHOLD,
    CODES,
    Parameters,
    circular_trades,
    evaluate,
    in_scope,
    large_financings,
    overdue_receivables,
    rapid_split_transfers,
    reviews,
    threshold_at,
)
from chain.errors import TradeLedgerError

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD = Period(T0, T0 + timedelta(days=30))
END = PERIOD.end
A, B, C, D = ("0x" + c * 64 for c in "abcd")  # organisations, in id order
USD_LARGE = 100_000_000  # 1,000,000.00
DAY = timedelta(days=1)


def ref(block: int, after: timedelta | None = None, event: str = "E") -> Ref:
    """An event in ``block``, ``after`` the start of the period (default: ``block`` minutes)."""
    return Ref(
        event, block, f"0x{block:064x}", 0, T0 + (after if after is not None else timedelta(minutes=block))
    )


def rid(n: int) -> str:
    return f"0x{n:064x}"


def financing(n: int = 1, advance: int = USD_LARGE, **changes: Any) -> FinancingRecord:
    """A financing of receivable ``n`` held by A, funded by D without review (block 10 + n)."""
    f = FinancingRecord(
        financing_id=f"0xf{n:063x}",
        receivable_id=rid(n),
        holder=A,
        currency="USD",
        requested=ref(n, event="FinancingRequested"),
        financier=D,
        advance=advance,
        accepted=ref(10 + n, event="FinancingAccepted"),
        funded=ref(10 + n, event="FinancingFunded"),
    )
    return replace(f, **changes)


def receivable(n: int, **changes: Any) -> ReceivableRecord:
    r = ReceivableRecord(
        receivable_id=rid(n),
        creditor=A,
        debtor=B,
        holder=A,
        currency="USD",
        face_value=10_000_000,
        due_date=T0 + 10 * DAY,
        issued=ref(n, event="ReceivableIssued"),
        status="confirmed",
    )
    return replace(r, **changes)


def transfer(n: int, payer: str, payee: str, after: timedelta, amount: int = 1_000) -> Hop:
    return Hop(
        "transfer",
        rid(n),
        payer,
        payee,
        amount,
        "USD",
        ref(100 + int(after.total_seconds()), after, "Transfer"),
    )


def split(n: int, children: tuple[int, ...], holder: str, after: timedelta, amount: int = 1_000) -> Hop:
    at = ref(100 + int(after.total_seconds()), after, "ReceivableSplit")
    return Hop("split", rid(n), holder, holder, amount, "USD", at, tuple(rid(c) for c in children))


# --- LARGE_FINANCING --------------------------------------------------------------------------


def test_a_financing_funded_at_the_large_amount_is_a_finding() -> None:
    f = financing(advance=USD_LARGE)

    found = large_financings([f], PERIOD, Parameters())

    assert found == [
        Finding(
            "LARGE_FINANCING",
            (f.financing_id, rid(1)),
            (A, D),
            USD_LARGE,
            "USD",
            (f.funded,),
            {
                "financing": f.financing_id,
                "receivable": rid(1),
                "holder": A,
                "financier": D,
                "threshold_minor": USD_LARGE,
                "funded_at": "2026-03-01T00:11:00Z",
            },
        )
    ]


@pytest.mark.parametrize(
    ("f", "params"),
    [
        (financing(advance=USD_LARGE - 1), Parameters()),  # one cent below
        (financing(advance=5_000), Parameters({"USD": 5_001})),  # below the currency's own threshold
        (financing(funded=None), Parameters()),  # accepted, waiting for review: not funded
        (financing(funded=ref(1, -timedelta(seconds=1))), Parameters()),  # funded just before the period
        (financing(funded=ref(1, 30 * DAY)), Parameters()),  # funded when the period has ended
    ],
)
def test_what_is_not_a_large_financing(f: FinancingRecord, params: Parameters) -> None:
    assert large_financings([f], PERIOD, params) == []


def test_the_large_amount_is_per_currency_in_its_minor_units() -> None:
    yen = financing(advance=1_000_000, currency="JPY")  # 1,000,000 yen: JPY has no minor unit
    euro = financing(2, advance=1_000_000, currency="EUR")  # 10,000.00 euros

    found = large_financings([yen, euro], PERIOD, Parameters())
    lowered = large_financings([yen, euro], PERIOD, Parameters({"EUR": 1_000_000}))

    assert [f.currency for f in found] == ["JPY"]
    assert [(f.currency, f.details["threshold_minor"]) for f in lowered] == [
        ("JPY", 1_000_000),
        ("EUR", 1_000_000),
    ]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        (["USD100"], "invalid_parameter"),
        (["USD:-1"], "invalid_parameter"),
        (["USD:1.5"], "invalid_parameter"),
    ],
)
def test_a_malformed_large_amount_is_refused(values: list[str], code: str) -> None:
    with pytest.raises(TradeLedgerError) as refused:
        Parameters.parse_large(values)
    assert refused.value.code == code


def test_an_unknown_currency_threshold_is_refused() -> None:
    with pytest.raises(TradeLedgerError) as refused:
        Parameters(Parameters.parse_large(["xyz:100"]))
    assert refused.value.code == "unknown_currency"


# --- RAPID_SPLIT_TRANSFER ---------------------------------------------------------------------

H = timedelta(hours=1)


def test_a_lineage_split_and_passed_on_three_times_in_a_day_is_a_finding() -> None:
    # receivable 1 (A's) is split into 2 and 3; A passes 3 to B; B passes 3 on to C
    parents = {rid(2): rid(1), rid(3): rid(1)}
    hops = [split(1, (2, 3), A, H), transfer(3, A, B, 2 * H), transfer(3, B, C, 9 * H)]

    found = rapid_split_transfers(parents, hops, PERIOD, Parameters())

    assert len(found) == 1
    f = found[0]
    assert (f.code, f.objects, f.organisations, f.amount_minor, f.currency) == (
        "RAPID_SPLIT_TRANSFER",
        (rid(1), rid(3)),
        (A, B, C),
        1_000,
        "USD",
    )
    assert f.evidence == tuple(h.ref for h in hops)
    assert {k: v for k, v in f.details.items() if k != "hops"} == {
        "lineage": rid(1),
        "hop_count": 3,
        "span_seconds": 8 * 3600,
        "window_seconds": 86_400,
    }
    assert [(h["kind"], h["receivable"], h["from"], h["to"], h["children"]) for h in f.details["hops"]] == [
        ("split", rid(1), A, A, [rid(2), rid(3)]),
        ("transfer", rid(3), A, B, []),
        ("transfer", rid(3), B, C, []),
    ]
    assert f.details["hops"][1] == {
        "kind": "transfer",
        "receivable": rid(3),
        "from": A,
        "to": B,
        "amount_minor": 1_000,
        "currency": "USD",
        "children": [],
        "event": "Transfer",
        "block": 7300,
        "tx": f"0x{7300:064x}",
        "log_index": 0,
        "at": "2026-03-01T02:00:00Z",
    }


def test_the_longest_line_of_descent_is_reported_once_per_lineage() -> None:
    # 1 -> (2, 3): part 2 is passed on once, part 3 twice; only the line through 3 is listed
    parents = {rid(2): rid(1), rid(3): rid(1)}
    hops = [
        split(1, (2, 3), A, H),
        transfer(2, A, B, 2 * H),
        transfer(3, A, C, 3 * H),
        transfer(3, C, D, 4 * H),
    ]

    found = rapid_split_transfers(parents, hops, PERIOD, Parameters())

    assert [(f.details["lineage"], f.details["hop_count"], f.objects) for f in found] == [
        (rid(1), 3, (rid(1), rid(3)))
    ]


@pytest.mark.parametrize(
    ("hops", "params"),
    [
        ([split(1, (2, 3), A, H), transfer(3, A, B, 2 * H)], Parameters()),  # N - 1 hops
        (
            [
                split(1, (2, 3), A, H),
                transfer(3, A, B, 2 * H),
                transfer(3, B, C, H + DAY + timedelta(seconds=1)),
            ],
            Parameters(),
        ),
        (
            [transfer(3, A, B, H), transfer(3, B, C, 2 * H), transfer(3, C, A, 3 * H)],
            Parameters(rapid_min_hops=4),
        ),
        (
            [transfer(3, A, B, H), transfer(2, B, C, 2 * H), transfer(4, C, A, 3 * H)],
            Parameters(),
        ),  # three lineages
        (
            [transfer(3, A, B, -H), transfer(3, B, C, 2 * H), transfer(3, C, D, 3 * H)],
            Parameters(),
        ),  # one before
    ],
    ids=[
        "n-1-hops",
        "window-one-second-too-long",
        "below-a-raised-n",
        "unrelated-receivables",
        "hop-before-period",
    ],
)
def test_what_is_not_a_rapid_chain(hops: list[Hop], params: Parameters) -> None:
    assert rapid_split_transfers({rid(2): rid(1), rid(3): rid(1)}, hops, PERIOD, params) == []


def test_hops_spanning_exactly_the_window_are_a_finding() -> None:
    hops = [split(1, (2, 3), A, H), transfer(3, A, B, 2 * H), transfer(3, B, C, H + DAY)]
    found = rapid_split_transfers({rid(3): rid(1)}, hops, PERIOD, Parameters())

    assert [(f.details["hop_count"], f.details["span_seconds"]) for f in found] == [(3, 86_400)]


def test_only_the_densest_run_of_a_long_line_is_listed() -> None:
    hops = [
        transfer(1, A, B, H),
        transfer(1, B, C, 3 * DAY),
        transfer(1, C, D, 3 * DAY + H),
        transfer(1, D, A, 3 * DAY + 2 * H),
    ]

    found = rapid_split_transfers({}, hops, PERIOD, Parameters())

    assert [h["from"] for h in found[0].details["hops"]] == [B, C, D]


# --- CIRCULAR_TRADE ---------------------------------------------------------------------------


def order(n: int, buyer: str, supplier: str, total: int = 5_000, after: timedelta = H) -> OrderRecord:
    return OrderRecord(f"0xo{n:063x}", buyer, supplier, "USD", total, ref(200 + n, after, "OrderRegistered"))


def test_a_receivable_passed_round_back_to_its_origin_is_a_cycle() -> None:
    # B orders from A (B owes A); A passes receivable 1 to C, C to B and B back to A
    o = order(1, B, A, total=9_000)
    hops = [transfer(1, A, C, 2 * H, 4_000), transfer(1, C, B, 3 * H, 4_000), transfer(1, B, A, 4 * H, 4_000)]

    found = circular_trades([o], hops, PERIOD, Parameters())

    assert len(found) == 1
    f = found[0]
    assert (f.code, f.organisations, f.objects, f.amount_minor, f.currency) == (
        "CIRCULAR_TRADE",
        (A, C, B),
        (rid(1), o.order_id),
        4_000,  # the least that went round: each link carried at least this much
        "USD",
    )
    assert f.details["cycle"] == [A, C, B, A]
    assert [(x["from"], x["to"], [e["kind"] for e in x["edges"]]) for x in f.details["links"]] == [
        (A, C, ["receivable_transfer"]),
        (C, B, ["receivable_transfer"]),
        (B, A, ["order", "receivable_transfer"]),
    ]
    assert f.evidence == (hops[0].ref, hops[1].ref, o.registered, hops[2].ref)


def test_two_organisations_ordering_from_each_other_are_a_cycle() -> None:
    found = circular_trades([order(1, A, B, 7_000), order(2, B, A, 3_000)], [], PERIOD, Parameters())

    assert [(f.organisations, f.amount_minor, f.details["cycle"]) for f in found] == [
        ((A, B), 3_000, [A, B, A])
    ]


def test_a_cycle_in_several_currencies_has_no_single_amount() -> None:
    euro = replace(order(2, B, A, 3_000), currency="EUR")

    found = circular_trades([order(1, A, B, 7_000), euro], [], PERIOD, Parameters())

    assert [(f.amount_minor, f.currency) for f in found] == [(None, None)]


@pytest.mark.parametrize(
    ("orders", "hops", "params"),
    [
        ([order(1, A, B), order(2, B, C)], [], Parameters()),  # A -> B -> C: a chain, not a cycle
        # the tier-2 flow: A orders from B, B orders from C and pays C with A's receivable
        ([order(1, A, B), order(2, B, C)], [transfer(1, B, C, 2 * H)], Parameters()),
        (
            [order(1, A, B), order(2, B, A, after=31 * DAY)],
            [],
            Parameters(),
        ),  # the way back is after the period
        ([order(1, A, B), order(2, B, C), order(3, C, A)], [], Parameters(max_cycle_length=2)),
    ],
    ids=["chain", "tier-two-flow", "return-outside-period", "longer-than-max"],
)
def test_what_is_not_a_circular_trade(orders: list[OrderRecord], hops: list[Hop], params: Parameters) -> None:
    assert circular_trades(orders, hops, PERIOD, params) == []


# --- ABOVE_REVIEW_THRESHOLD / UNREVIEWED_FINANCING --------------------------------------------

THRESHOLD = 1_000_000
REVIEWED = {"reviewer_account": "0x" + "5" * 40, "reviewer_org": D, "needs_review": True}


def test_an_approved_review_is_reported_with_its_reviewer_and_transaction() -> None:
    f = financing(advance=THRESHOLD + 1, funded=ref(15, event="FinancingFunded"), **REVIEWED)

    above, unreviewed = reviews([f], THRESHOLD, [], PERIOD, END)

    assert unreviewed == []
    assert above == [
        Finding(
            ABOVE_REVIEW_THRESHOLD,
            (f.financing_id, rid(1)),
            (A, D),
            THRESHOLD + 1,
            "USD",
            (f.accepted, f.funded),
            {
                "financing": f.financing_id,
                "receivable": rid(1),
                "holder": A,
                "financier": D,
                "threshold_minor": THRESHOLD,
                "needs_review_on_chain": True,
                "accepted_at": "2026-03-01T00:11:00Z",
                "review": {
                    "status": "approved",
                    "by_org": D,
                    "by_account": "0x" + "5" * 40,
                    "tx": f"0x{15:064x}",
                    "block": 15,
                    "at": "2026-03-01T00:15:00Z",
                    "waited_seconds": 240,
                },
            },
        )
    ]


@pytest.mark.parametrize(
    ("changes", "status", "decided_at"),
    [
        ({"funded": None}, "pending", None),
        ({"funded": None, "cancelled": ref(20, event="FinancingCancelled")}, "cancelled_before_review", 20),
        (
            {"needs_review": False, "reviewer_account": None, "reviewer_org": None},
            "funded_without_review",
            11,
        ),
    ],
)
def test_a_financing_above_the_threshold_without_an_approved_review_is_also_unreviewed(
    changes: dict[str, Any], status: str, decided_at: int | None
) -> None:
    f = financing(advance=THRESHOLD + 1, **{**REVIEWED, **changes})

    above, unreviewed = reviews([f], THRESHOLD, [], PERIOD, END)

    assert [x.code for x in above + unreviewed] == ["ABOVE_REVIEW_THRESHOLD", "UNREVIEWED_FINANCING"]
    review = unreviewed[0].details["review"]
    assert (review["status"], review["by_org"], review["block"]) == (status, None, decided_at)
    waited = (
        END if decided_at is None else f.accepted.at + timedelta(minutes=decided_at - 11)
    ) - f.accepted.at
    assert review["waited_seconds"] == int(waited.total_seconds())


@pytest.mark.parametrize(
    "f",
    [
        financing(advance=THRESHOLD),  # exactly at the threshold: no review needed
        financing(advance=THRESHOLD + 1, accepted=None, funded=None),  # requested, never accepted
        financing(advance=THRESHOLD + 1, accepted=ref(11, -H), **REVIEWED),  # accepted before the period
    ],
    ids=["at-threshold", "not-accepted", "accepted-before-period"],
)
def test_what_is_not_above_the_review_threshold(f: FinancingRecord) -> None:
    assert reviews([f], THRESHOLD, [], PERIOD, END) == ([], [])


def test_the_threshold_is_the_one_in_force_at_acceptance() -> None:
    lowered = ThresholdChange(USD_LARGE, THRESHOLD, ref(5))
    raised = ThresholdChange(THRESHOLD, USD_LARGE, ref(12))  # after the acceptance at block 11
    f = financing(advance=THRESHOLD * 2, **REVIEWED)

    above, _ = reviews([f], USD_LARGE, [raised, lowered], PERIOD, END)

    assert (
        threshold_at(USD_LARGE, [lowered, raised], ref(5)) == USD_LARGE
    )  # the change itself is not before it
    assert threshold_at(USD_LARGE, [lowered, raised], ref(6)) == THRESHOLD
    assert threshold_at(USD_LARGE, [lowered, raised], ref(13)) == USD_LARGE
    assert [x.details["threshold_minor"] for x in above] == [THRESHOLD]


# --- OVERDUE_RECEIVABLE -----------------------------------------------------------------------


def test_an_overdue_financed_receivable_is_reported_with_what_is_outstanding() -> None:
    r = receivable(
        1,
        holder=D,
        repaid=1_000_000,
        status="overdue",
        marked_overdue=ref(30, event="ReceivableOverdue"),
        financing_id="0xf" + "1" * 63,
        financier=D,
        recourse=ref(31, event="RecourseClaimed"),
    )

    found = overdue_receivables([r], END)

    assert found == [
        Finding(
            "OVERDUE_RECEIVABLE",
            (rid(1), "0xf" + "1" * 63),
            (B, A, D),
            9_000_000,
            "USD",
            (r.issued, r.marked_overdue, r.recourse),
            {
                "receivable": rid(1),
                "creditor": A,
                "debtor": B,
                "holder": D,
                "face_value_minor": 10_000_000,
                "repaid_minor": 1_000_000,
                "outstanding_minor": 9_000_000,
                "due_date": "2026-03-11T00:00:00Z",
                "days_overdue": 20,
                "marked_overdue_on_chain": True,
                "financed": True,
                "financing": "0xf" + "1" * 63,
                "financier": D,
                "recourse_claimed": True,
            },
        )
    ]


def test_a_confirmed_receivable_one_second_past_due_is_overdue_for_zero_days() -> None:
    r = receivable(1, due_date=END - timedelta(seconds=1))

    found = overdue_receivables([r], END)

    assert [(f.details["days_overdue"], f.details["financed"], f.amount_minor) for f in found] == [
        (0, False, 10_000_000)
    ]


@pytest.mark.parametrize(
    "r",
    [
        receivable(1, repaid=10_000_000, status="repaid"),  # repaid in full
        receivable(1, due_date=END),  # due exactly at the end of the period
        receivable(1, status="split"),  # its parts carry the debt
        receivable(1, status="issued"),  # never confirmed by the debtor
    ],
    ids=["repaid", "due-at-end", "split", "unconfirmed"],
)
def test_what_is_not_an_overdue_receivable(r: ReceivableRecord) -> None:
    assert overdue_receivables([r], END) == []


# --- the whole report -------------------------------------------------------------------------


def test_every_code_is_in_the_report_even_without_findings() -> None:
    assert evaluate(Records(), PERIOD, END, Parameters()) == {code: [] for code in CODES}


def test_an_auditor_sees_the_records_its_organisations_are_party_to() -> None:
    records = Records(
        receivables={rid(1): receivable(1), rid(2): receivable(2, creditor=C, debtor=D, holder=C)},
        financings={"f1": financing(1, holder=C), "f2": financing(2, holder=B, financier=C)},
        orders=[order(1, A, B), order(2, C, D)],
        hops=[transfer(1, A, C, H), transfer(2, C, D, H)],
        parents={rid(2): rid(1)},
    )

    seen = in_scope(records, frozenset({A}))

    assert list(seen.receivables) == [rid(1)]
    assert seen.financings == {}
    assert seen.orders == [order(1, A, B)]
    assert seen.hops == [transfer(1, A, C, H)]
    assert seen.parents == {rid(2): rid(1)}  # lineage is ids only: it connects the hops an auditor sees


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("2026-03-01T00:00:00", "2026-04-01T00:00:00Z", "period_without_timezone"),
        ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00+00:00", "period_end_not_after_start"),
        ("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", "period_end_not_after_start"),
        ("2023-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "period_too_long"),
        ("yesterday", "2026-03-01T00:00:00Z", "period_invalid_time"),
    ],
)
def test_a_bad_period_is_refused_with_its_code(start: str, end: str, code: str) -> None:
    with pytest.raises(TradeLedgerError) as refused:
        Period.parse(start, end)
    assert (refused.value.status, refused.value.code) == (422, code)


def test_three_years_is_the_longest_period() -> None:
    period = Period.parse("2023-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert (period.end - period.start).days == 1096
