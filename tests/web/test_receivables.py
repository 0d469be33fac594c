"""Invoices and receivables in a real browser: the buyer's goods receipt on an order's page, the supplier's
invoice from it, the three-document match side by side, confirmation (with a waiver when discrepant),
repayment from tokenized cash, the supplier's split, transfer and financing request; bad input and other
organisations' posts refused with nothing changed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import WebStack, api_call, confirmed_receivable, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BUYER, SUPPLIER, OTHER_SUPPLIER, BANK = (
    "acme-motors",
    "shenzhen-precision",
    "dongguan-castings",
    "harbour-bank",
)
TX = re.compile(r"0x[0-9a-f]{64}")
PO_CSV = (
    "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
    '{po},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,"1,000.00"\n'
    "{po},USD,2026-03-01,2026-04-15,2,BLT-M8,Bolt M8,50,PCE,200.00\n"
)
RECEIVED = [
    {"po_line_no": 1, "item": "BRK-220", "quantity": "100", "unit": "EA"},
    {"po_line_no": 2, "item": "BLT-M8", "quantity": "50", "unit": "PCE"},
]


def order(stack: WebStack, po: str, *, received: bool = True) -> str:
    """acme-motors' two-line order ``po`` to shenzhen-precision (110,000.00 USD), through the API, with a
    goods receipt of every line unless ``received`` is False; its id."""
    uploaded = httpx.post(
        f"{stack.url}/api/v1/purchase-orders",
        params={"supplier": stack.orgs[SUPPLIER]["org_id"]},
        content=PO_CSV.format(po=po),
        headers={"Authorization": f"Bearer {stack.key(BUYER)}", "Content-Type": "text/csv"},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    order_id = str(uploaded.json()["id"])
    if received:
        receipt = {"receipt_number": f"GR-{po}", "received_at": "2026-04-18T09:30:00Z", "lines": RECEIVED}
        api_call(stack, BUYER, "POST", f"/purchase-orders/{order_id}/goods-receipts", receipt, expect=201)
    return order_id


def invoiced(stack: WebStack, po: str, **line1: str) -> str:
    """A received order ``po`` invoiced in full by the supplier through the API (``line1`` changes the
    first line); the receivable's id."""
    lines = [{**RECEIVED[0], "unit_price": "1000.00", **line1}, {**RECEIVED[1], "unit_price": "200.00"}]
    body = {
        "order_id": order(stack, po),
        "invoice_number": f"INV-{po}",
        "currency": "USD",
        "issue_date": "2026-04-20",
        "due_date": "2099-07-19",
        "lines": lines,
    }
    return str(api_call(stack, SUPPLIER, "POST", "/invoices", body, expect=201)["id"])


def receivable(stack: WebStack, handle: str, rid: str) -> dict[str, Any]:
    return dict(api_call(stack, handle, "GET", f"/receivables/{rid}", expect=200))


def post_form(page: Page, stack: WebStack, path: str, form: dict[str, str]) -> tuple[int, str]:
    """A form post from this site, as a browser that edited the page would send it."""
    sent = page.request.post(stack.url + path, form=form, headers={"Origin": stack.url}, max_redirects=0)
    return sent.status, sent.text()


# --- the buyer's goods receipt -------------------------------------------------------------------


def test_the_buyer_posts_a_goods_receipt_against_the_order_lines(web_stack: WebStack, page: Page) -> None:
    order_id = order(web_stack, "PO-RCV-1", received=False)
    sign_in(page, web_stack, BUYER)
    page.goto(f"{web_stack.url}/purchase-orders/{order_id}")
    form = page.locator("form[action$='/goods-receipts']")
    expect(page.get_by_label("Line 1 quantity received (EA)")).to_have_value("100")  # prefilled from the PO
    expect(page.get_by_label("Line 2 quantity received (PCE)")).to_have_value("50")

    page.get_by_label("Receipt number").fill("GR-RCV-1")
    page.get_by_label("Line 2 quantity received (PCE)").fill("lots")
    form.get_by_role("button", name="Post goods receipt").click()

    expect(page.get_by_role("alert")).to_contain_text("invalid_number")
    expect(page.get_by_label("Line 2 quantity received (PCE)")).to_have_value("lots")  # kept for a retry
    assert api_call(web_stack, BUYER, "GET", f"/purchase-orders/{order_id}")["receipts"] == 0

    page.get_by_label("Line 2 quantity received (PCE)").fill("20")  # a partial delivery
    page.get_by_role("button", name="Post goods receipt").click()

    notice = page.get_by_role("status")
    expect(notice).to_contain_text("Your goods receipt is recorded on chain. Transaction 0x")
    tx = TX.search(notice.inner_text())
    assert tx is not None
    expect(page.locator(".timeline li").filter(has_text="goods receipt GR-RCV-1")).to_contain_text(tx.group())
    after = api_call(web_stack, BUYER, "GET", f"/purchase-orders/{order_id}")
    assert after["receipts"] == 1
    [doc] = [d for d in after["documents"] if d["type"] == "goods_receipt"]
    assert [(x["po_line_no"], x["quantity"]) for x in doc["content"]["lines"]] == [(1, "100"), (2, "20")]
    expect(page.get_by_label("Line 2 quantity received (PCE)")).to_have_value("30")  # what is still to come
    screenshots(page, "order-goods-receipt")


# --- the supplier's invoice ----------------------------------------------------------------------


def test_the_supplier_issues_an_invoice_from_the_order_and_lands_on_its_receivable(
    web_stack: WebStack, page: Page
) -> None:
    order_id = order(web_stack, "PO-INV-1")
    sign_in(page, web_stack, SUPPLIER)
    page.goto(f"{web_stack.url}/purchase-orders/{order_id}")
    page.get_by_role("link", name="Issue an invoice for this order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice purchase order PO-INV-1")
    expect(page.get_by_label("Line 1 quantity invoiced (EA)")).to_have_value("100")
    expect(page.get_by_label("Line 1 unit price (USD)")).to_have_value("1000.00")

    page.get_by_label("Invoice number").fill("INV-WEB-1")
    page.get_by_label("Due date (maturity)").fill("2020-01-01")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_role("alert")).to_contain_text("due_date is before issue_date")
    expect(page.get_by_role("alert")).to_contain_text("invalid_dates")
    expect(page.get_by_label("Invoice number")).to_have_value("INV-WEB-1")  # kept for a retry
    assert api_call(web_stack, SUPPLIER, "GET", f"/purchase-orders/{order_id}")["invoiced_minor"] == 0

    page.get_by_label("Due date (maturity)").fill("2099-07-19")
    page.get_by_role("button", name="Issue invoice").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Receivable for invoice INV-WEB-1")
    expect(page.get_by_role("status")).to_contain_text("Your invoice is a receivable on chain")
    rid = page.url.split("/receivables/")[1].split("?")[0]
    issued = receivable(web_stack, SUPPLIER, rid)
    assert (issued["status"], issued["match_status"], issued["face_value_minor"]) == (
        "issued",
        "matched",
        11_000_000,
    )
    expect(page.get_by_test_id("match-result")).to_contain_text("Result: matched")
    expect(page.locator(".evidence-timeline")).to_contain_text("ReceivableIssued")
    expect(page.get_by_role("button", name="Confirm receivable")).to_have_count(0)  # the buyer's to do


# --- the buyer's match, confirmation and repayment ------------------------------------------------


def test_the_buyer_sees_the_match_side_by_side_and_confirms_with_a_waiver(
    web_stack: WebStack, page: Page
) -> None:
    rid = invoiced(web_stack, "PO-DSC-1", unit_price="1100.00", quantity="90")  # 10 % over the PO's price
    sign_in(page, web_stack, BUYER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices & receivables").click()
    row = page.locator("table.receivables tbody tr").filter(has=page.locator(f"a[href='/receivables/{rid}']"))
    expect(row).to_contain_text("Shenzhen Precision Parts")
    expect(row).to_contain_text("109,000.00 USD")
    expect(row).to_contain_text("2099-07-19")
    expect(row).to_contain_text("discrepant")
    page.get_by_label("Status").select_option("confirmed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"a[href='/receivables/{rid}']")).to_have_count(0)
    page.get_by_label("Status").select_option("issued")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=issued"))  # the filtered page, not the one leaving
    expect(page.locator(f"a[href='/receivables/{rid}']")).to_have_count(1)
    screenshots(page, "receivables-list")

    page.locator(f"a[href='/receivables/{rid}']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receivable for invoice INV-PO-DSC-1")
    expect(page.locator("table.match tbody tr.line")).to_have_count(2)
    line1 = page.locator("table.match tbody tr.line").first
    expect(line1.locator("td").nth(6)).to_contain_text("1,100.00 USD differs")  # the invoice's unit price
    expect(page.get_by_role("list", name="Line 1 findings")).to_contain_text(
        "the unit price differs from the purchase order: expected 1,000.00 USD, found 1,100.00 USD "
        "(outside tolerance)"
    )
    expect(page.locator("table.match")).to_contain_text("Line 2 matches.")
    expect(page.get_by_test_id("match-result")).to_contain_text("Tolerance used: unit price ±0 %")

    page.get_by_role("button", name="Re-run the match").click()
    expect(page.get_by_role("status")).to_contain_text("matched again")
    assert receivable(web_stack, BUYER, rid)["match_status"] == "discrepant"

    page.get_by_role("button", name="Confirm with waiver").click()  # not ticked: the browser holds it back
    assert receivable(web_stack, BUYER, rid)["status"] == "issued"
    page.get_by_label("I waive the discrepancies listed above").check()
    page.get_by_role("button", name="Confirm with waiver").click()

    expect(page.get_by_role("status")).to_contain_text("the waiver is recorded on chain")
    confirmed = receivable(web_stack, BUYER, rid)
    assert (confirmed["status"], confirmed["waived"]) == ("confirmed", True)
    expect(page.get_by_test_id("status")).to_contain_text("confirmed (discrepancies waived by the debtor)")
    expect(page.locator(".evidence-timeline li").filter(has_text="ReceivableConfirmed")).to_contain_text(
        "with a waiver of discrepancies"
    )
    screenshots(page, "receivable-detail")


def test_the_supplier_cannot_confirm_and_another_supplier_cannot_see_the_receivable(
    web_stack: WebStack, page: Page
) -> None:
    rid = invoiced(web_stack, "PO-OWN-1")
    sign_in(page, web_stack, SUPPLIER)
    page.goto(f"{web_stack.url}/receivables/{rid}")
    expect(page.get_by_role("button", name="Confirm receivable")).to_have_count(0)

    status, text = post_form(page, web_stack, f"/receivables/{rid}/confirm", {})

    assert status == 403 and "not_debtor" in text and 'role="alert"' in text
    assert receivable(web_stack, BUYER, rid)["status"] == "issued"

    for handle in (OTHER_SUPPLIER, BANK):  # neither a party nor asked to finance it
        page.context.clear_cookies()
        sign_in(page, web_stack, handle)
        shown = page.goto(f"{web_stack.url}/receivables/{rid}")
        assert shown is not None and shown.status == 404
        expect(page.get_by_role("alert")).to_contain_text("receivable_not_found")
        expect(page.locator("main")).not_to_contain_text("INV-PO-OWN-1")
        status, text = post_form(page, web_stack, f"/receivables/{rid}/split", {"part": "1"})
        assert status == 404 and "receivable_not_found" in text


def test_the_buyer_confirms_and_repays_from_its_tokenized_cash(web_stack: WebStack, page: Page) -> None:
    rid = invoiced(web_stack, "PO-PAY-1")
    buyer = web_stack.orgs[BUYER]["org_id"]
    api_call(web_stack, BANK, "POST", "/cash/deposits", {"to": buyer, "amount_minor": 20_000_000}, expect=201)
    sign_in(page, web_stack, BUYER)
    page.goto(f"{web_stack.url}/receivables/{rid}")

    page.get_by_role("button", name="Confirm receivable").click()

    expect(page.get_by_role("status")).to_contain_text("You confirmed the receivable")
    assert receivable(web_stack, BUYER, rid)["status"] == "confirmed"
    expect(page.get_by_label("Amount to repay (USD)")).to_have_value("110000.00")
    before = api_call(web_stack, BUYER, "GET", "/cash/balance")["balance_minor"]
    expect(page.get_by_test_id("balance")).to_contain_text(f"{before // 100:,}.00 USD")

    page.get_by_label("Amount to repay (USD)").fill("110000.01")
    page.get_by_role("button", name="Repay").click()
    expect(page.get_by_role("alert")).to_contain_text("receivable_over_repaid")
    assert receivable(web_stack, BUYER, rid)["repaid_minor"] == 0

    page.get_by_label("Amount to repay (USD)").fill("10,000.00")  # a part payment first
    page.get_by_role("button", name="Repay").click()
    expect(page.get_by_role("status")).to_contain_text("Your repayment is recorded on chain")
    expect(page.get_by_label("Amount to repay (USD)")).to_have_value("100000.00")
    page.get_by_role("button", name="Repay").click()

    expect(page.get_by_test_id("status")).to_have_text("repaid")
    repaid = receivable(web_stack, BUYER, rid)
    assert (repaid["status"], repaid["repaid_minor"]) == ("repaid", 11_000_000)
    assert api_call(web_stack, BUYER, "GET", "/cash/balance")["balance_minor"] == before - 11_000_000
    expect(page.locator(".evidence-timeline")).to_contain_text("RepaymentMade")


# --- the supplier's split, transfer and financing request ------------------------------------------


def test_the_supplier_splits_transfers_a_part_and_asks_to_finance_the_other(
    web_stack: WebStack, page: Page
) -> None:
    rid = confirmed_receivable(web_stack, SUPPLIER, "PO-SPL-1", 100)  # 100,000.00 USD
    sign_in(page, web_stack, SUPPLIER)
    page.goto(f"{web_stack.url}/receivables/{rid}")

    page.get_by_label("Part 1 (USD)").fill("60,000.00")
    page.get_by_label("Part 2 (USD)").fill("30,000.00")
    page.get_by_role("button", name="Split receivable").click()

    expect(page.get_by_role("alert")).to_contain_text("receivable_split_not_conserved")
    expect(page.get_by_label("Part 2 (USD)")).to_have_value("30,000.00")
    assert receivable(web_stack, SUPPLIER, rid)["status"] == "confirmed"

    page.get_by_label("Part 2 (USD)").fill("40,000.00")
    page.get_by_role("button", name="Split receivable").click()

    expect(page.get_by_role("status")).to_contain_text("The receivable is split")
    parts = page.locator("table.parts tbody tr")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_contain_text("60,000.00 USD")
    assert receivable(web_stack, SUPPLIER, rid)["status"] == "split"

    parts.nth(1).get_by_role("link").click()
    expect(page.locator("dl.facts")).to_contain_text("40,000.00 USD")
    page.get_by_label("Transfer to").select_option(label="Dongguan Castings")
    page.get_by_role("button", name="Transfer receivable").click()
    expect(page.get_by_role("status")).to_contain_text("transferred to its new holder")
    part40 = page.url.split("/receivables/")[1].split("?")[0]
    assert receivable(web_stack, SUPPLIER, part40)["holder"] == web_stack.orgs[OTHER_SUPPLIER]["org_id"]
    expect(page.get_by_role("button", name="Split receivable")).to_have_count(0)  # no longer ours

    page.goto(f"{web_stack.url}/receivables/{rid}")
    page.locator("table.parts tbody tr").nth(0).get_by_role("link").click()
    page.get_by_label("Least advance you accept (USD)").fill("55,000.00")
    page.get_by_role("button", name="Request financing").click()

    expect(page.get_by_role("status")).to_contain_text("Financing is requested")
    link = page.locator("a[href^='/financing/0x']")
    expect(page.locator("li").filter(has=link)).to_contain_text("requested, at least 55,000.00 USD asked")
    part60 = page.url.split("/receivables/")[1].split("?")[0]
    [financing] = receivable(web_stack, SUPPLIER, part60)["financings"]
    assert (financing["status"], financing["min_advance"]) == ("requested", 5_500_000)
    assert link.get_attribute("href") == f"/financing/{financing['financing_id']}"
    expect(page.get_by_role("button", name="Request financing")).to_have_count(0)  # one at a time
