"""Letters of credit in a real browser: the buyer applies, the bank issues and advises, the supplier
presents, the bank examines (the UCP 600 report shown check by check) and honours, or refuses a discrepant
presentation that the buyer then waives; bad applications, foreign credits and forged posts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.credit.examination import RULES
from tests.conftest import ChainHarness
from tests.web.conftest import WebStack, api_call, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BUYER, SUPPLIER, BANK, RIVAL = "acme-motors", "shenzhen-precision", "harbour-bank", "dongguan-castings"
LC = "/letters-of-credit"
HEX32 = re.compile(r"0x[0-9a-f]{64}")


@pytest.fixture
def as_org(browser: Browser, web_stack: WebStack) -> Iterator[Callable[[str], Page]]:
    """A signed-in page per organisation, each in its own browser profile."""
    contexts = []

    def open_as(handle: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, web_stack, handle)
        return page

    yield open_as
    for context in contexts:
        context.close()


def org_id(stack: WebStack, handle: str) -> str:
    return stack.orgs[handle]["org_id"]


def chain_today(harness: ChainHarness) -> date:
    return datetime.fromtimestamp(int(harness.chain.w3.eth.get_block("latest")["timestamp"]), UTC).date()


def credit_terms(stack: WebStack, number: str, today: date) -> dict[str, Any]:
    """An application's body for the JSON API (set-up of other roles' steps)."""
    return {
        "number": number,
        "issuing_bank": org_id(stack, BANK),
        "advising_bank": org_id(stack, BANK),
        "beneficiary": org_id(stack, SUPPLIER),
        "currency": "USD",
        "amount": 5_000_000,
        "goods_description": "Brake discs, cast iron",
        "expiry_date": (today + timedelta(days=60)).isoformat(),
        "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
    }


def advised_credit(stack: WebStack, number: str, today: date) -> str:
    """A credit applied for, issued and advised through the JSON API; its id."""
    credit = api_call(stack, BUYER, "POST", LC, credit_terms(stack, number, today), expect=201)
    api_call(stack, BANK, "POST", f"{LC}/{credit['id']}/issue", expect=200)
    api_call(stack, BANK, "POST", f"{LC}/{credit['id']}/advise", expect=200)
    return str(credit["id"])


def balance(stack: WebStack, handle: str) -> int:
    return int(api_call(stack, handle, "GET", "/cash/balance", expect=200)["balance_minor"])


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def test_apply_issue_advise_present_examine_and_honour(
    web_stack: WebStack, as_org: Callable[[str], Page]
) -> None:
    stack = web_stack
    bank_id = org_id(stack, BANK)
    api_call(stack, BANK, "POST", "/cash/deposits", {"to": bank_id, "amount_minor": 100_000_000}, expect=201)

    buyer = as_org(BUYER)
    buyer.goto(stack.url + LC)
    buyer.get_by_label("Credit number (your reference)").fill("LC-WEB-1")
    buyer.get_by_label("Beneficiary (the seller)").select_option(label="Shenzhen Precision Parts")
    buyer.get_by_label("Amount", exact=True).fill("50,000.00")
    buyer.get_by_label("Goods description").fill("Brake discs, cast iron")
    buyer.get_by_label("Port of loading").fill("CNSZX")
    buyer.get_by_label("Port of discharge").fill("NLRTM")
    click(buyer, "Apply for the credit")

    expect(buyer.get_by_role("heading", level=1)).to_have_text("Letter of credit LC-WEB-1")
    expect(buyer.get_by_role("status")).to_contain_text("Your application is recorded on chain")
    credit_id = buyer.url.rsplit("/", 1)[-1].split("?")[0]
    assert HEX32.fullmatch(credit_id)
    applied = api_call(stack, BUYER, "GET", f"{LC}/{credit_id}", expect=200)
    assert (applied["status"], applied["terms"]["credit_terms"]["amount"]) == ("applied", 5_000_000)
    expect(buyer.locator(".timeline")).to_contain_text("CreditApplied")
    expect(buyer.get_by_role("button", name="Issue the credit")).to_have_count(0)

    bank = as_org(BANK)
    bank.goto(f"{stack.url}{LC}/{credit_id}")
    click(bank, "Issue the credit")
    expect(bank.get_by_role("status")).to_contain_text("The credit is issued")
    click(bank, "Advise the credit")
    expect(bank.get_by_role("status")).to_contain_text("The credit is advised")
    assert api_call(stack, BANK, "GET", f"{LC}/{credit_id}")["status"] == "advised"
    history = bank.locator(".timeline li")
    expect(history).to_have_count(3)
    expect(history.nth(1)).to_contain_text("CreditIssued")
    assert HEX32.search(history.nth(2).inner_text())
    bank.goto(stack.url + LC)
    expect(bank.get_by_role("link", name="LC-WEB-1")).to_be_visible()
    expect(bank.get_by_role("heading", name="Apply for a letter of credit")).to_have_count(0)  # buyers apply
    buyer.goto(stack.url + LC)
    row = buyer.get_by_role("row").filter(has=buyer.get_by_role("link", name="LC-WEB-1"))
    expect(row).to_contain_text("50,000.00 USD")
    expect(row).to_contain_text("advised")
    screenshots(buyer, "credits-list")

    supplier = as_org(SUPPLIER)
    supplier.goto(f"{stack.url}{LC}/{credit_id}")
    for step in ("Issue the credit", "Advise the credit", "Propose the amendment"):
        expect(supplier.get_by_role("button", name=step)).to_have_count(0)
    expect(supplier.get_by_label("Amount claimed (USD)")).to_have_value("50000.00")
    supplier.get_by_label("Amount claimed (USD)").fill("20,000.00")
    supplier.get_by_label("Invoice amount").fill("20,000.00")
    screenshots(supplier, "credit-detail")
    click(supplier, "Present the documents")

    expect(supplier.get_by_role("status")).to_contain_text("Your documents are presented")
    expect(supplier.get_by_test_id("presentation-status")).to_have_text("presented")
    presentation_id = supplier.url.rsplit("/", 1)[-1].split("?")[0]
    expect(supplier.get_by_role("button", name="Examine the documents")).to_have_count(0)

    bank.goto(f"{stack.url}{LC}/presentations/{presentation_id}")
    click(bank, "Examine the documents")
    expect(bank.get_by_role("status")).to_contain_text("The documents are examined")
    report = bank.get_by_role("table", name="UCP 600 checks")
    expect(report.locator("tbody tr")).to_have_count(len(RULES))
    expect(report.locator("tr.discrepant")).to_have_count(0)
    expect(report).to_contain_text("UCP 600 Art. 14(c)")
    expect(bank.locator(".verdict")).to_contain_text("complying")
    screenshots(bank, "presentation-report")

    supplier.reload()
    expect(supplier.get_by_role("button", name="Honour the presentation")).to_have_count(0)
    before = balance(stack, SUPPLIER)
    click(bank, "Honour the presentation")

    expect(bank.get_by_role("status")).to_contain_text("The presentation is honoured")
    expect(bank.get_by_test_id("presentation-status")).to_have_text("honoured")
    expect(bank.locator(".timeline")).to_contain_text("PresentationHonoured")
    assert balance(stack, SUPPLIER) - before == 2_000_000
    final = api_call(stack, BUYER, "GET", f"{LC}/{credit_id}")
    assert (final["drawn_minor"], [p["status"] for p in final["presentations"]]) == (2_000_000, ["honoured"])


def test_a_discrepant_presentation_is_refused_and_the_applicant_waives(
    web_stack: WebStack, deployed: ChainHarness, as_org: Callable[[str], Page]
) -> None:
    stack = web_stack
    credit_id = advised_credit(stack, "LC-WEB-2", chain_today(deployed))

    supplier = as_org(SUPPLIER)
    supplier.goto(f"{stack.url}{LC}/{credit_id}")
    supplier.get_by_label("Amount claimed (USD)").fill("10,000.00")
    supplier.get_by_label("Invoice amount").fill("10,000.00")
    supplier.get_by_label("Port of loading").fill("CNSHA")
    click(supplier, "Present the documents")
    presentation_id = supplier.url.rsplit("/", 1)[-1].split("?")[0]

    bank = as_org(BANK)
    bank.goto(f"{stack.url}{LC}/presentations/{presentation_id}")
    click(bank, "Examine the documents")
    discrepant = bank.get_by_role("table", name="UCP 600 checks").locator("tr.discrepant")
    expect(discrepant).to_have_count(1)
    expect(discrepant).to_contain_text("PORT_MISMATCH")
    expect(discrepant).to_contain_text("UCP 600 Art. 20(a)(iii)")
    expect(discrepant).to_contain_text("port of loading 'CNSHA', credit 'CNSZX'")
    expect(bank.get_by_role("button", name="Honour the presentation")).to_have_count(0)
    click(bank, "Refuse the presentation")
    expect(bank.get_by_test_id("presentation-status")).to_have_text("refused")
    expect(bank.get_by_role("button", name="Waive the discrepancies")).to_have_count(0)  # the applicant's

    buyer = as_org(BUYER)
    buyer.goto(f"{stack.url}{LC}/presentations/{presentation_id}")
    click(buyer, "Waive the discrepancies")
    expect(buyer.get_by_role("status")).to_contain_text("You waived the discrepancies")
    presented = api_call(stack, BUYER, "GET", f"{LC}/{credit_id}")["presentations"]
    assert [p["status"] for p in presented] == ["waived"]

    bank.reload()
    expect(bank.get_by_role("button", name="Honour the presentation")).to_be_visible()


def test_bad_applications_show_their_errors_and_change_nothing(
    web_stack: WebStack, as_org: Callable[[str], Page]
) -> None:
    stack = web_stack
    before = api_call(stack, BUYER, "GET", LC, expect=200)
    buyer = as_org(BUYER)
    buyer.goto(stack.url + LC)
    buyer.get_by_label("Credit number (your reference)").fill("LC-WEB-BAD")
    buyer.get_by_label("Beneficiary (the seller)").select_option(label="Shenzhen Precision Parts")
    buyer.get_by_label("Goods description").fill("Brake discs")
    buyer.get_by_label("Amount", exact=True).fill("0")

    with buyer.expect_response(lambda r: r.request.method == "POST") as sent:
        click(buyer, "Apply for the credit")
    assert sent.value.status == 422
    expect(buyer.get_by_role("alert")).to_contain_text("invalid_form")
    amount = buyer.get_by_label("Amount", exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(buyer.locator("#amount-error")).to_contain_text("greater than 0")
    expect(buyer.get_by_label("Credit number (your reference)")).to_have_value("LC-WEB-BAD")  # kept

    amount.fill("-5")
    click(buyer, "Apply for the credit")
    expect(buyer.locator("#amount-error")).to_contain_text("negative")

    amount.fill("1,000.00")
    buyer.get_by_label("Expiry date").fill("2020-01-31")
    buyer.get_by_label("Latest shipment date").fill("2020-01-01")
    with buyer.expect_response(lambda r: r.request.method == "POST") as sent:
        click(buyer, "Apply for the credit")
    assert sent.value.status == 422
    expect(buyer.get_by_role("alert")).to_contain_text("expiry_in_past")
    expect(buyer.get_by_label("Expiry date")).to_have_attribute("aria-invalid", "true")
    expect(buyer.locator("#expiry_date-error")).to_contain_text("has passed")

    assert api_call(stack, BUYER, "GET", LC, expect=200) == before


def test_a_foreign_credit_is_not_found_and_a_forged_step_is_refused(
    web_stack: WebStack, deployed: ChainHarness, as_org: Callable[[str], Page]
) -> None:
    stack = web_stack
    terms = credit_terms(stack, "LC-WEB-3", chain_today(deployed))
    credit = api_call(stack, BUYER, "POST", LC, terms, expect=201)
    credit_id = credit["id"]

    rival = as_org(RIVAL)
    response = rival.goto(f"{stack.url}{LC}/{credit_id}")
    assert response is not None and response.status == 404
    expect(rival.get_by_role("alert")).to_contain_text("credit_not_found")
    rival.goto(stack.url + LC)
    expect(rival.get_by_role("link", name="LC-WEB-3")).to_have_count(0)

    supplier = as_org(SUPPLIER)
    supplier.goto(f"{stack.url}{LC}/{credit_id}")
    expect(supplier.get_by_role("button", name="Issue the credit")).to_have_count(0)
    forged = supplier.request.post(f"{stack.url}{LC}/{credit_id}/issue", headers={"Origin": stack.url})
    assert forged.status == 403
    assert "not_issuing_bank" in forged.text() and 'role="alert"' in forged.text()
    assert api_call(stack, SUPPLIER, "GET", f"{LC}/{credit_id}")["status"] == "applied"


def test_the_bank_amends_and_the_beneficiary_accepts(
    web_stack: WebStack, deployed: ChainHarness, as_org: Callable[[str], Page]
) -> None:
    stack = web_stack
    credit_id = advised_credit(stack, "LC-WEB-4", chain_today(deployed))

    bank = as_org(BANK)
    bank.goto(f"{stack.url}{LC}/{credit_id}")
    click(bank, "Propose the amendment")  # nothing filled in
    expect(bank.get_by_role("alert")).to_contain_text("an amendment changes at least one term")
    bank.get_by_label("New amount (USD)").fill("75,000.00")
    click(bank, "Propose the amendment")
    expect(bank.get_by_role("status")).to_contain_text("The amendment is proposed")
    expect(bank.get_by_role("button", name="Accept amendment 1")).to_have_count(0)  # the beneficiary's
    assert api_call(stack, BUYER, "GET", f"{LC}/{credit_id}")["terms"]["credit_terms"]["amount"] == 5_000_000

    supplier = as_org(SUPPLIER)
    supplier.goto(f"{stack.url}{LC}/{credit_id}")
    expect(supplier.get_by_role("region", name="Amendments").first).to_contain_text("amount: 75,000.00 USD")
    click(supplier, "Accept amendment 1")

    expect(supplier.get_by_role("status")).to_contain_text("You accepted the amendment")
    expect(supplier.get_by_test_id("available")).to_have_text("75,000.00 USD")
    credit = api_call(stack, BUYER, "GET", f"{LC}/{credit_id}")
    assert credit["terms"]["credit_terms"]["amount"] == 7_500_000
    assert [a["status"] for a in credit["amendments"]] == ["accepted"]
    expect(supplier.locator(".timeline")).to_contain_text("AmendmentAccepted")
