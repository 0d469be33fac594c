"""Financing in a real browser: the bank's queue with each request's evidence and carbon score, its offer
(a bad one refused, nothing changed), the supplier accepting it (funded, with the transaction), a large
advance through the bank's risk review, and what neither a stranger nor the supplier may do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from chain import governance
from chain.policy import Role
from tests.conftest import ChainHarness
from tests.web.conftest import WebStack, api_call, confirmed_receivable, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BANK, SUPPLIER, OTHER_SUPPLIER = "harbour-bank", "shenzhen-precision", "dongguan-castings"
TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")


@dataclass(frozen=True)
class Request:
    receivable: str
    financing: str


def financing_request(stack: WebStack, po_number: str, quantity: int, min_advance_minor: int) -> Request:
    """The supplier's request (through the API) to finance a new confirmed receivable of its own."""
    rid = confirmed_receivable(stack, SUPPLIER, po_number, quantity)
    body = {"min_advance_minor": min_advance_minor}
    made = api_call(stack, SUPPLIER, "POST", f"/receivables/{rid}/financing-requests", body, expect=201)
    return Request(rid, made["id"])


@pytest.fixture(scope="module")
def small(web_stack: WebStack) -> Iterator[Request]:
    """100,000.00 USD owed by ACME Motors; at least 80,000.00 asked; the bank holds cash to pay it."""
    bank = web_stack.orgs[BANK]["org_id"]
    api_call(web_stack, BANK, "POST", "/cash/deposits", {"to": bank, "amount_minor": 500_000_000}, expect=201)
    yield financing_request(web_stack, "PO-FIN-1", 100, 8_000_000)


@pytest.fixture(scope="module")
def risk_reviewer(web_stack: WebStack, deployed: ChainHarness) -> None:
    """Harbour Bank's key may approve large advances: a dual-control grant, past the test chain's one-hour
    delay (the demo seeding grants it itself only on a chain without one)."""
    chain = deployed.chain
    account = chain.keystore.address(f"org-{web_stack.orgs[BANK]['org_id']}")
    manager = chain.access_manager()
    op = governance.propose_and_approve(chain, manager, "grantRole", int(Role.RISK_REVIEWER), account, 0)
    deployed.increase_time(3601)
    governance.execute(chain, op)


def financing(stack: WebStack, handle: str, request: Request) -> dict:
    return dict(api_call(stack, handle, "GET", f"/financing-requests/{request.financing}", expect=200))


def open_request(page: Page, stack: WebStack, handle: str, invoice: str) -> None:
    sign_in(page, stack, handle)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Financing").click()
    page.get_by_role("link", name=f"Invoice {invoice}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Financing of invoice {invoice}")


def fill_offer(page: Page, advance: str, discount_bps: str = "300", tenor_days: str = "90") -> None:
    page.get_by_label("Advance (USD)", exact=True).fill(advance)
    page.get_by_label("Annual discount rate (basis points)", exact=True).fill(discount_bps)
    page.get_by_label("Tenor (days)").fill(tenor_days)


def section(page: Page, heading: str) -> Locator:
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, level=2))


def submit(page: Page, button: str, path: str) -> int:
    """Click ``button``; the status of the form's answer (the redirect, when there is one)."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path)) as sent:
        page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    return sent.value.status


# --- the bank ------------------------------------------------------------------------------------


def test_the_bank_queue_shows_the_request_with_its_evidence_and_carbon_score(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    sign_in(page, web_stack, BANK)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Financing").click()

    expect(page.get_by_role("heading", name="Open requests to price")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Invoice INV-PO-FIN-1"))
    expect(row).to_contain_text("Shenzhen Precision Parts")
    expect(row).to_contain_text("ACME Motors")
    expect(row).to_contain_text("100,000.00 USD")
    expect(row).to_contain_text("80,000.00 USD")
    expect(row).to_contain_text("match: matched")
    expect(row).to_contain_text("confirmed by the debtor")
    expect(row).to_contain_text("3 documents")  # PO, goods receipt, invoice
    expect(row.locator(".carbon-score")).to_have_text("no verified score")
    expect(row).to_contain_text("none yet")
    expect(page.get_by_role("heading", name="Risk review queue")).to_be_visible()
    expect(page.get_by_role("heading", name="Financed by you")).to_be_visible()
    screenshots(page, "financing-queue")


def test_a_bad_offer_shows_the_error_and_changes_nothing(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    open_request(page, web_stack, BANK, "INV-PO-FIN-1")

    fill_offer(page, "150,000.00")  # above the 100,000.00 face value: the contract refuses it
    assert submit(page, "Make offer", "/offers") == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("financing_exceeds_face_value")
    expect(page.get_by_label("Advance (USD)", exact=True)).to_have_value("150,000.00")
    expect(page.get_by_label("Advance (USD)", exact=True)).to_have_attribute("aria-invalid", "true")

    fill_offer(page, "95,000.00", discount_bps="20000")  # a rate above 100 % a year
    assert submit(page, "Make offer", "/offers") == 422
    expect(page.get_by_role("alert")).to_contain_text("invalid_form")
    expect(page.get_by_label("Annual discount rate (basis points)", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )

    fill_offer(page, "95,000.005")  # more decimals than USD has
    assert submit(page, "Make offer", "/offers") == 422
    expect(page.get_by_role("alert")).to_contain_text("amount_precision")

    assert financing(web_stack, BANK, small)["offers"] == []
    assert financing(web_stack, SUPPLIER, small)["offers"] == []


def test_the_bank_makes_an_offer(web_stack: WebStack, page: Page, small: Request) -> None:
    open_request(page, web_stack, BANK, "INV-PO-FIN-1")
    expect(page.get_by_test_id("evidence")).to_contain_text("match: matched")
    expect(page.get_by_role("link", name="Invoice INV-PO-FIN-1")).to_have_attribute(
        "href", f"/receivables/{small.receivable}"
    )

    fill_offer(page, "95,000.00", discount_bps="300", tenor_days="90")
    page.get_by_label("With recourse").check()
    assert submit(page, "Make offer", "/offers") == 303

    expect(page.get_by_role("status")).to_have_text("Your offer is recorded on chain.")
    offers = page.get_by_role("table").filter(has_text="Financier")
    expect(offers).to_contain_text("Harbour Bank")
    expect(offers).to_contain_text("95,000.00 USD")
    expect(offers).to_contain_text("300 bps (3.00 % a year)")
    expect(offers).to_contain_text("with recourse")
    expect(page.locator(".timeline")).to_contain_text("FinancingOffered")
    expect(page.get_by_role("heading", name="Replace your offer")).to_be_visible()
    expect(page.get_by_label("Advance (USD)", exact=True)).to_have_value("95000.00")
    [offer] = financing(web_stack, SUPPLIER, small)["offers"]
    assert offer == {
        "financier": web_stack.orgs[BANK]["org_id"],
        "advance_minor": 9_500_000,
        "discount_bps": 300,
        "tenor_days": 90,
        "recourse": True,
        "green": None,
    }
    screenshots(page, "financing-detail")


# --- what others may not do -----------------------------------------------------------------------


def test_the_supplier_cannot_make_an_offer(web_stack: WebStack, page: Page, small: Request) -> None:
    open_request(page, web_stack, SUPPLIER, "INV-PO-FIN-1")
    expect(page.get_by_role("heading", name="Offers received")).to_be_visible()
    expect(page.get_by_role("heading", name="Make an offer")).to_have_count(0)
    expect(page.get_by_label("Advance (USD)", exact=True)).to_have_count(0)

    forged = page.request.post(
        f"{web_stack.url}/financing/{small.financing}/offers",
        form={"advance": "99,000.00", "discount_bps": "100", "tenor_days": "30"},
        headers={"Origin": web_stack.url},
    )

    assert forged.status == 403
    assert "role_required" in forged.text() and 'role="alert"' in forged.text()
    assert [o["advance_minor"] for o in financing(web_stack, SUPPLIER, small)["offers"]] == [9_500_000]


def test_another_organisation_gets_a_404_page_for_the_request(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    sign_in(page, web_stack, OTHER_SUPPLIER)
    response = page.goto(f"{web_stack.url}/financing/{small.financing}")

    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("financing_not_found")
    expect(page.locator("main")).not_to_contain_text("INV-PO-FIN-1")
    page.goto(f"{web_stack.url}/financing")
    expect(page.get_by_role("heading", name="Your financing requests")).to_be_visible()
    expect(page.get_by_role("link", name="Invoice INV-PO-FIN-1")).to_have_count(0)


# --- the supplier --------------------------------------------------------------------------------


def test_the_supplier_accepts_the_offer_and_sees_it_funded(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    sign_in(page, web_stack, SUPPLIER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Financing").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Invoice INV-PO-FIN-1"))
    expect(row).to_contain_text("requested")
    row.get_by_role("link").click()

    assert submit(page, "Accept the offer of Harbour Bank", "/accept") == 303

    expect(page.get_by_role("status")).to_have_text("You accepted the offer.")
    expect(page.get_by_test_id("financing-status")).to_have_text("funded")
    tx = page.get_by_test_id("tx-hash").inner_text()
    assert TX_HASH.match(tx)
    expect(page.locator(".timeline")).to_contain_text("FinancingFunded")
    expect(page.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    funded = financing(web_stack, SUPPLIER, small)
    assert (funded["status"], funded["advance_minor"]) == ("funded", 9_500_000)
    assert funded["financier"] == web_stack.orgs[BANK]["org_id"]
    receivable = api_call(web_stack, BANK, "GET", f"/receivables/{small.receivable}", expect=200)
    assert receivable["holder"] == web_stack.orgs[BANK]["org_id"]
    assert any(e["event"] == "FinancingFunded" and e["tx_hash"] == tx for e in receivable["timeline"])
    screenshots(page, "financing-supplier")

    page.get_by_role("link", name="Financing", exact=True).first.click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Invoice INV-PO-FIN-1"))
    expect(row).to_contain_text("funded")
    expect(row).to_contain_text("Harbour Bank")


def test_the_bank_sees_what_it_funded(web_stack: WebStack, page: Page, small: Request) -> None:
    sign_in(page, web_stack, BANK)
    page.goto(f"{web_stack.url}/financing")
    funded = section(page, "Financed by you")
    expect(funded.get_by_role("row").filter(has_text="INV-PO-FIN-1")).to_contain_text("funded")
    expect(page.locator("main")).to_contain_text("No open financing requests.")  # the only one is funded


# --- a large advance: the bank's risk review ----------------------------------------------------------


@pytest.mark.usefixtures("risk_reviewer")
def test_a_large_advance_waits_for_the_bank_risk_review(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    large = financing_request(web_stack, "PO-FIN-2", 1_500, 100_000_000)  # 1,500,000.00 USD
    offer = {"advance_minor": 140_000_000, "discount_bps": 250, "tenor_days": 120, "recourse": False}
    api_call(web_stack, BANK, "POST", f"/financing-requests/{large.financing}/offers", offer, expect=201)
    accept = {"financier": web_stack.orgs[BANK]["org_id"]}
    accepted = api_call(
        web_stack, SUPPLIER, "POST", f"/financing-requests/{large.financing}/accept", accept, expect=200
    )
    assert accepted["status"] == "pending_review"

    sign_in(page, web_stack, BANK)
    page.goto(f"{web_stack.url}/financing")
    review = section(page, "Risk review queue")
    expect(review).to_contain_text("1,400,000.00 USD")
    review.get_by_role("link", name="Invoice INV-PO-FIN-2").click()
    expect(page.get_by_test_id("financing-status")).to_have_text("pending review")

    assert submit(page, "Approve and fund", "/approve") == 303

    expect(page.get_by_role("status")).to_contain_text("You approved the risk review")
    expect(page.get_by_test_id("financing-status")).to_have_text("funded")
    assert TX_HASH.match(page.get_by_test_id("tx-hash").inner_text())
    assert financing(web_stack, SUPPLIER, large)["status"] == "funded"


# --- after funding -------------------------------------------------------------------------------


def test_a_pledge_of_credits_the_supplier_does_not_hold_is_refused(
    web_stack: WebStack, page: Page, small: Request
) -> None:
    open_request(page, web_stack, SUPPLIER, "INV-PO-FIN-1")  # funded, so still live

    page.get_by_label("Carbon credit token id").fill("0x" + "00" * 31 + "01")
    page.get_by_label("Quantity (kg CO2e)").fill("10")
    assert submit(page, "Pledge credits", "/collateral") == 409
    expect(page.get_by_role("alert")).to_contain_text("credits_locked")

    page.get_by_label("Carbon credit token id").fill("credits please")
    page.get_by_label("Quantity (kg CO2e)").fill("10")
    assert submit(page, "Pledge credits", "/collateral") == 422
    expect(page.get_by_role("alert")).to_contain_text("token_id")

    assert financing(web_stack, SUPPLIER, small)["collateral"] is None


def test_the_bank_marks_an_overdue_receivable_and_claims_recourse(
    web_stack: WebStack, deployed: ChainHarness, page: Page, small: Request
) -> None:
    due = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    rid = confirmed_receivable(web_stack, SUPPLIER, "PO-FIN-3", 50, due_date=due)
    made = api_call(web_stack, SUPPLIER, "POST", f"/receivables/{rid}/financing-requests", {}, expect=201)
    late = Request(rid, made["id"])
    offer = {"advance_minor": 4_500_000, "discount_bps": 400, "tenor_days": 3, "recourse": True}
    api_call(web_stack, BANK, "POST", f"/financing-requests/{late.financing}/offers", offer, expect=201)
    accept = {"financier": web_stack.orgs[BANK]["org_id"]}
    api_call(web_stack, SUPPLIER, "POST", f"/financing-requests/{late.financing}/accept", accept, expect=200)

    open_request(page, web_stack, BANK, "INV-PO-FIN-3")
    assert submit(page, "Mark overdue", "/overdue") == 409  # not due yet: the contract refuses
    expect(page.get_by_role("alert")).to_contain_text("receivable_not_due")
    assert api_call(web_stack, BANK, "GET", f"/receivables/{rid}", expect=200)["status"] == "confirmed"

    deployed.increase_time(10 * 86_400)
    assert submit(page, "Mark overdue", "/overdue") == 303
    expect(page.get_by_role("status")).to_have_text("The receivable is marked overdue.")
    expect(page.get_by_test_id("evidence")).to_contain_text("now overdue")
    assert api_call(web_stack, BANK, "GET", f"/receivables/{rid}", expect=200)["status"] == "overdue"

    assert submit(page, "Claim recourse", "/recourse") == 303
    expect(page.get_by_role("status")).to_have_text("Your recourse claim against the holder is recorded.")
    expect(page.get_by_test_id("financing-status")).to_have_text("recourse claimed")
    expect(page.locator(".timeline")).to_contain_text("RecourseClaimed")
    assert financing(web_stack, SUPPLIER, late)["status"] == "recourse_claimed"
