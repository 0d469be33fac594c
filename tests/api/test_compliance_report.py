"""The compliance report over a real story (real anvil, both databases): a large financing approved
by a risk reviewer, one left waiting, a receivable split and passed on fast and partly back to its
supplier, and an overdue financed receivable; who may read the report and what each one sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from api.compliance.service import report_hash
from tests.api.trade_stack import TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
DAY = 86_400
REPORT = "/compliance/report"


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, {"auditor": "auditor", "regulator": "regulator"})
    with s.client:
        yield s


def _govern(s: TradeStack, contract: Any, fn: str, *args: object) -> None:
    """Dual control: two officers propose and approve, one executes after the delay."""
    from chain import governance

    op = governance.propose_and_approve(s.harness.chain, contract, fn, *args)
    s.harness.increase_time(3601)
    governance.execute(s.harness.chain, op)


def _now(s: TradeStack) -> int:
    return int(s.harness.chain.w3.eth.get_block("latest")["timestamp"])


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _confirmed(s: TradeStack, po: str, **invoice: Any) -> str:
    rid = s.post(
        "supplier", "/invoices", invoice_body(delivered_order(s, po), f"INV-{po}", **invoice), expect=201
    )
    s.post("buyer", f"/receivables/{rid['id']}/confirm", {}, expect=200)
    return str(rid["id"])


def _split(s: TradeStack, who: str, rid: str, amounts: list[int]) -> list[str]:
    parts = s.post(who, f"/receivables/{rid}/split", {"amounts_minor": amounts}, expect=201)["parts"]
    return [p["id"] for p in parts]


def _financing(s: TradeStack, rid: str, advance: int) -> str:
    fid = str(s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"])
    offer = {"advance_minor": advance, "discount_bps": 300, "tenor_days": 60, "recourse": True}
    s.post("bank", f"/financing-requests/{fid}/offers", offer, expect=201)
    accepted = s.post(
        "supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200
    )
    assert accepted["status"] == "pending_review"
    return fid


def _story(s: TradeStack) -> dict[str, Any]:
    """Drives the story; returns what the report should name."""
    from chain.policy import Role

    chain = s.harness.chain
    _govern(s, chain.financing(), "setReviewThreshold", 1_000_000)  # 10,000.00
    reviewer = chain.keystore.address(f"org-{s.ids['bank']}")
    _govern(s, chain.access_manager(), "grantRole", int(Role.RISK_REVIEWER), reviewer, 0)
    start = _now(s)
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 50_000_000}, expect=201)

    # a large financing above the review threshold, approved by the bank's risk reviewer
    r1 = _confirmed(s, "PO-1", due_date="2027-01-01")
    f1 = _financing(s, r1, 9_000_000)
    approval = s.post("bank", f"/financing-requests/{f1}/approve", expect=200)["tx"]
    s.post("buyer", f"/receivables/{r1}/repayments", {"amount_minor": 1_000_000}, expect=200)

    # a receivable split and passed on within minutes, one part back to the supplier that issued it
    r2 = _confirmed(s, "PO-2")
    part60, part40 = _split(s, "supplier", r2, [6_600_000, 4_400_000])
    s.post("supplier", f"/receivables/{part40}/transfer", {"to": s.ids["tier2"]}, expect=200)
    p1, _ = _split(s, "tier2", part40, [2_200_000, 2_200_000])
    s.post("tier2", f"/receivables/{p1}/transfer", {"to": s.ids["rival"]}, expect=200)
    s.post("rival", f"/receivables/{p1}/transfer", {"to": s.ids["supplier"]}, expect=200)

    # a financing above the threshold that nobody reviews
    f2 = _financing(s, part60, 6_000_000)

    # 400 days on: receivable 1 is overdue, marked so, and the bank claims recourse
    s.harness.increase_time(400 * DAY)
    s.post("bank", f"/receivables/{r1}/overdue", expect=200)
    s.post("bank", f"/financing-requests/{f1}/recourse", expect=200)
    s.harness.increase_time(60)
    s.client.app.state.indexer.sync()  # type: ignore[attr-defined]
    end = _now(s)
    return {
        "start": start, "end": end, "r1": r1, "r2": r2, "part40": part40, "part60": part60, "p1": p1,
        "f1": f1, "f2": f2, "approval": approval, "reviewer": reviewer,
    }  # fmt: skip


def _query(story: dict[str, Any], **extra: str) -> str:
    params = {"from": _iso(story["start"]), "to": _iso(story["end"]), **extra}
    return "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in params.items())


def test_the_report_names_every_finding_of_the_story_and_who_may_read_it(stack: TradeStack) -> None:
    s = stack
    story = _story(s)
    ids = s.ids
    s.post("tier2", "/auditor-grants", {"auditor": ids["auditor"]}, expect=201)
    query = _query(story, large_financing="USD:9000000")

    report = s.get("operator", f"{REPORT}?{query}")

    found = report["findings"]
    assert report["counts"] == {
        "LARGE_FINANCING": 1,
        "RAPID_SPLIT_TRANSFER": 1,
        "CIRCULAR_TRADE": 1,
        "ABOVE_REVIEW_THRESHOLD": 2,
        "UNREVIEWED_FINANCING": 1,
        "OVERDUE_RECEIVABLE": 1,
    }
    assert report["period"] == {
        "from": _iso(story["start"]),
        "to": _iso(story["end"]),
        "as_of": _iso(story["end"]),
    }
    assert report["scope"] == {"consortium": True, "organisations": None}
    assert report["parameters"]["large_financing_minor"] == {"USD": 9_000_000}
    assert report["report_hash"] == report_hash(report)
    assert (
        report_hash({**report, "counts": {**report["counts"], "OVERDUE_RECEIVABLE": 0}})
        != report["report_hash"]
    )

    large = found["LARGE_FINANCING"][0]
    assert (large["objects"], large["organisations"], large["amount_minor"], large["currency"]) == (
        [story["f1"], story["r1"]],
        [ids["supplier"], ids["bank"]],
        9_000_000,
        "USD",
    )
    assert [e["event"] for e in large["evidence"]] == ["FinancingFunded"]
    assert large["evidence"][0]["tx"] == story["approval"]["tx_hash"]

    rapid = found["RAPID_SPLIT_TRANSFER"][0]
    assert (rapid["objects"], rapid["organisations"], rapid["amount_minor"]) == (
        [story["r2"], story["part40"], story["p1"]],
        [ids["supplier"], ids["tier2"], ids["rival"]],
        11_000_000,
    )
    assert [(h["kind"], h["receivable"], h["from"], h["to"]) for h in rapid["details"]["hops"]] == [
        ("split", story["r2"], ids["supplier"], ids["supplier"]),
        ("transfer", story["part40"], ids["supplier"], ids["tier2"]),
        ("split", story["part40"], ids["tier2"], ids["tier2"]),
        ("transfer", story["p1"], ids["tier2"], ids["rival"]),
        ("transfer", story["p1"], ids["rival"], ids["supplier"]),
    ]
    assert rapid["details"]["hop_count"] == 5 and rapid["details"]["span_seconds"] < 3600

    cycle = found["CIRCULAR_TRADE"][0]
    members = [ids["supplier"], ids["tier2"], ids["rival"]]
    first = members.index(min(members))
    assert cycle["organisations"] == members[first:] + members[:first]
    assert (cycle["objects"], cycle["amount_minor"], cycle["currency"]) == (
        [story["part40"], story["p1"]] if first == 0 else [story["p1"], story["part40"]],
        2_200_000,
        "USD",
    )

    approved, pending = found["ABOVE_REVIEW_THRESHOLD"]
    assert (approved["objects"], pending["objects"]) == (
        [story["f1"], story["r1"]],
        [story["f2"], story["part60"]],
    )
    assert approved["details"]["threshold_minor"] == pending["details"]["threshold_minor"] == 1_000_000
    review = approved["details"]["review"]
    assert (review["status"], review["by_org"], review["by_account"], review["tx"], review["block"]) == (
        "approved",
        ids["bank"],
        story["reviewer"],
        story["approval"]["tx_hash"],
        story["approval"]["block_number"],
    )
    assert pending["details"]["review"]["status"] == "pending"
    assert found["UNREVIEWED_FINANCING"] == [{**pending, "code": "UNREVIEWED_FINANCING"}]

    overdue = found["OVERDUE_RECEIVABLE"][0]
    due = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    assert overdue["details"] == {
        "receivable": story["r1"],
        "creditor": ids["supplier"],
        "debtor": ids["buyer"],
        "holder": ids["bank"],
        "face_value_minor": 11_000_000,
        "repaid_minor": 1_000_000,
        "outstanding_minor": 10_000_000,
        "due_date": "2027-01-01T00:00:00Z",
        "days_overdue": (story["end"] - due) // DAY,
        "marked_overdue_on_chain": True,
        "financed": True,
        "financing": story["f1"],
        "financier": ids["bank"],
        "recourse_claimed": True,
    }
    assert [e["event"] for e in overdue["evidence"]] == [
        "ReceivableIssued",
        "ReceivableOverdue",
        "RecourseClaimed",
    ]
    assert set(report["organisations"]) == {ids[n] for n in ("supplier", "tier2", "rival", "bank", "buyer")}

    # a regulator without a mandate sees nothing; with one over every organisation of the story, all
    # of its findings; the tier-2 supplier's auditor only what tier 2 is party to
    unmandated = s.get("regulator", f"{REPORT}?{query}")
    story_orgs = sorted(ids[n] for n in ("supplier", "tier2", "rival", "bank", "buyer"))
    for subject in story_orgs:
        s.post("operator", "/audit/mandates", {"regulator": ids["regulator"], "subject": subject}, 201)
    regulator = s.get("regulator", f"{REPORT}?{query}")
    audited = s.get("auditor", f"{REPORT}?{query}")

    assert unmandated["scope"] == {"consortium": False, "organisations": []}
    assert unmandated["findings"] == {code: [] for code in report["counts"]}
    assert unmandated["counts"] == {code: 0 for code in report["counts"]}
    assert unmandated["organisations"] == {}
    assert regulator["scope"] == {"consortium": False, "organisations": story_orgs}
    assert regulator["findings"] == report["findings"]
    assert regulator["counts"] == report["counts"]
    assert regulator["organisations"] == report["organisations"]
    reads = {
        (e["subject"], e["status"])
        for e in s.get("regulator", "/audit/access-log")
        if e["path"] == f"/api/v1{REPORT}"
    }
    assert reads == {(None, 200), *((org, 200) for org in story_orgs)}
    assert audited["scope"] == {"consortium": False, "organisations": [ids["tier2"]]}
    assert {code: n for code, n in audited["counts"].items() if n} == {"RAPID_SPLIT_TRANSFER": 1}
    seen = audited["findings"]["RAPID_SPLIT_TRANSFER"][0]
    assert [(h["from"], h["to"]) for h in seen["details"]["hops"]] == [
        (ids["supplier"], ids["tier2"]),
        (ids["tier2"], ids["tier2"]),
        (ids["tier2"], ids["rival"]),
    ]
    assert seen["details"]["lineage"] == story["r2"]
    log = s.get("auditor", "/audit/access-log")
    assert (f"/api/v1{REPORT}", ids["tier2"], 200) in {(e["path"], e["subject"], e["status"]) for e in log}


def test_the_page_shows_the_same_findings_in_tables(stack: TradeStack) -> None:
    s = stack
    story = _story(s)
    query = _query(story, large_financing="USD:9000000")
    report = s.get("operator", f"{REPORT}?{query}")

    response = s.call("operator", "GET", f"{REPORT}.html?{query}", expect=200)

    page = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert page.startswith('<!doctype html><html lang="en">') and "<script" not in page
    assert page.count("<table>") == page.count("<caption>") == 6  # a table per finding type
    assert page.count('<th scope="col">') > 30
    for code, count in report["counts"].items():
        assert f'<h2 id="{code.lower()}">' in page and f"({code}, {count})" in page
    for key in ("r1", "r2", "part40", "p1", "f1", "f2"):
        assert f'title="{story[key]}"' in page
    assert "Supplier Ltd" in page and "Bank Ltd" in page and "USD 100,000.00" in page  # outstanding of r1
    assert "Report hash (keccak256 of the canonical JSON)" in page


def test_only_the_operator_regulators_and_auditors_read_it(stack: TradeStack) -> None:
    s = stack
    query = "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z"

    refused = [s.call(who, "GET", f"{REPORT}?{query}", expect=403).json() for who in ("supplier", "bank")]
    page = s.call("buyer", "GET", f"{REPORT}.html?{query}", expect=403).json()
    nobody = s.client.get(f"/api/v1{REPORT}?{query}")

    assert [p["code"] for p in [*refused, page]] == ["role_required"] * 3
    assert nobody.status_code == 401
    empty = s.get("auditor", f"{REPORT}?{query}")  # an auditor nobody authorised sees nothing
    assert empty["scope"] == {"consortium": False, "organisations": []} and not any(empty["counts"].values())


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "period_end_not_after_start"),
        ("from=2026-01-01T00:00:00&to=2026-02-01T00:00:00Z", "period_without_timezone"),
        ("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "period_too_long"),
        ("from=last-week&to=2026-01-01T00:00:00Z", "period_invalid_time"),
        ("from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&large_financing=USD", "invalid_parameter"),
    ],
)
def test_a_bad_period_is_422_with_its_code(stack: TradeStack, query: str, code: str) -> None:
    for path in (REPORT, f"{REPORT}.html"):
        problem = stack.call("regulator", "GET", f"{path}?{query}", expect=422)
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["code"] == code
