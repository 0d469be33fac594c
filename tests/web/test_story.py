"""The whole supply chain finance story through the web UI alone, each organisation in its own browser:
acme-motors uploads a purchase order to shenzhen-precision, which books fastfreight as its carrier on the
order's page, fastfreight records its bill of lading on the order it is now offered,
acme-motors posts the goods receipt, shenzhen-precision invoices the order, acme-motors sees the three
documents matched side by side and confirms, shenzhen-precision asks for financing, harbour-bank tokenizes
its own cash and offers an advance below the risk-review threshold, shenzhen-precision accepts (funded by
DvP), harbour-bank tokenizes acme-motors' deposit, the chain reaches the due date and acme-motors repays
in full; every party then sees the receivable and the financing repaid. The JSON API only checks outcomes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import ChainHarness
from tests.web.conftest import WIDTHS, WebStack, api_call, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BUYER, SUPPLIER, CARRIER, BANK = "acme-motors", "shenzhen-precision", "fastfreight", "harbour-bank"
PO, BL, GR, INVOICE = "PO-STORY-1", "BL-STORY-1", "GR-STORY-1", "INV-STORY-1"
PO_CSV = (
    "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
    f'{PO},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,"1,000.00"\n'
    f"{PO},USD,2026-03-01,2026-04-15,2,BLT-M8,Bolt M8,50,PCE,200.00\n"
)  # 110,000.00 USD
SHIPPED = [("1", "BRK-220", "100", "EA"), ("2", "BLT-M8", "50", "PCE")]
FACE, ADVANCE = (
    11_000_000,
    10_450_000,
)  # minor units: the invoice, and 95 % of it (below the review threshold)
TX = re.compile(r"0x[0-9a-f]{64}")
TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")
TERM_DAYS = 30


@pytest.fixture
def browsers(browser: Browser, web_stack: WebStack) -> Iterator[dict[str, Page]]:
    """Each party signed in with its demo key in a browser profile of its own."""
    contexts, pages = [], {}
    for handle in (BUYER, CARRIER, SUPPLIER, BANK):
        width, height = WIDTHS["laptop"]
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(20_000)
        contexts.append(context)
        pages[handle] = context.new_page()
        sign_in(pages[handle], web_stack, handle)
    yield pages
    for context in contexts:
        context.close()


def go(page: Page, section: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=section, exact=True).click()


def fact(page: Page, term: str) -> Locator:
    """The value beside ``term`` in the page's first list of facts."""
    return page.locator("dl.facts").first.locator(f"dt:text-is('{term}') + dd")


def notice_tx(page: Page, text: str) -> str:
    """The transaction hash in the status message, which must contain ``text``."""
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(text)
    found = TX.search(notice.inner_text())
    assert found is not None, notice.inner_text()
    return found.group()


def balance(stack: WebStack, handle: str) -> int:
    return int(api_call(stack, handle, "GET", "/cash/balance", expect=200)["balance_minor"])


def deposit(page: Page, depositor: str, amount: str) -> str:
    """The bank's deposit form on its cash page; the transaction shown."""
    go(page, "Cash")
    page.get_by_label("Depositor").select_option(label=depositor)
    page.get_by_label("Amount (USD)").fill(amount)
    page.get_by_role("button", name="Tokenize deposit").click()
    return notice_tx(page, "is tokenized")


def reach(deployed: ChainHarness, when: datetime) -> None:
    """Move the chain's clock forward to ``when`` (anvil's time travel), if it is not there yet."""
    now = int(deployed.chain.w3.eth.get_block("latest")["timestamp"])
    if int(when.timestamp()) > now:
        deployed.increase_time(int(when.timestamp()) - now)


def test_the_whole_story_from_purchase_order_to_repayment_through_the_ui(
    web_stack: WebStack, deployed: ChainHarness, browsers: dict[str, Page]
) -> None:
    buyer, carrier, supplier, bank = (browsers[h] for h in (BUYER, CARRIER, SUPPLIER, BANK))
    before = {h: balance(web_stack, h) for h in (BUYER, SUPPLIER, BANK)}
    due = datetime.now(UTC).date() + timedelta(days=TERM_DAYS)

    # 1. acme-motors uploads its purchase order (CSV) to shenzhen-precision
    go(buyer, "Purchase orders")
    buyer.get_by_label("Purchase order file (CSV or JSON)").set_input_files(
        files=[{"name": "po-story-1.csv", "mimeType": "text/csv", "buffer": PO_CSV.encode()}]
    )
    buyer.get_by_label("Supplier").select_option(label="Shenzhen Precision Parts")
    buyer.get_by_role("button", name="Upload purchase order").click()
    expect(buyer.get_by_role("heading", level=1)).to_have_text(f"Purchase order {PO}")
    registered = notice_tx(buyer, f"Purchase order {PO} is registered on chain")
    expect(fact(buyer, "Total")).to_have_text("110,000.00 USD")
    expect(fact(buyer, "Status")).to_have_text("open")
    order_id = fact(buyer, "Order id").inner_text().strip()
    screenshots(buyer, "story-01-po")

    # 2. shenzhen-precision, the shipper, books fastfreight on the order: only a booked carrier sees it
    go(supplier, "Purchase orders")
    supplier.get_by_role("link", name=PO, exact=True).click()
    supplier.get_by_label("Logistics provider").select_option(label="FastFreight Logistics")
    supplier.get_by_role("button", name="Book a carrier").click()
    expect(supplier.get_by_role("status")).to_contain_text("The carrier is booked")
    expect(supplier.locator("ul.bookings")).to_contain_text("FastFreight Logistics, booked by Shenzhen")
    bookings = api_call(web_stack, BUYER, "GET", f"/purchase-orders/{order_id}/carrier-bookings", expect=200)
    assert [b["carrier"] for b in bookings] == [web_stack.orgs[CARRIER]["org_id"]]

    # 3. fastfreight records the shipment with its bill of lading on the order it is offered
    go(carrier, "Shipments")
    carrier.get_by_label("Purchase order", exact=True).select_option(
        label=f"{PO}, ACME Motors from Shenzhen Precision Parts"
    )
    carrier.get_by_label("Bill of lading number").fill(BL)
    carrier.get_by_label("Shipped on board at").fill("2026-04-01T14:00:00+08:00")
    carrier.get_by_label("Port of loading").fill("CNSZX")
    carrier.get_by_label("Port of discharge").fill("CNSHA")
    carrier.get_by_label("Transport mode").select_option(label="deep sea container")
    carrier.get_by_label("Gross weight (kg)").fill("12500")
    for n, (line_no, item, quantity, unit) in enumerate(SHIPPED, start=1):
        carrier.get_by_label(f"Row {n} PO line number").fill(line_no)
        carrier.get_by_label(f"Row {n} item").fill(item)
        carrier.get_by_label(f"Row {n} quantity").fill(quantity)
        carrier.get_by_label(f"Row {n} unit", exact=False).fill(unit)
    carrier.get_by_role("button", name="Record shipment").click()
    expect(carrier.get_by_role("heading", level=1)).to_have_text(f"Shipment {BL}")
    shipped = notice_tx(carrier, f"Bill of lading {BL} is anchored and recorded on purchase order {PO}")
    assert TX_HASH.match(carrier.get_by_test_id("tx-hash").inner_text())
    screenshots(carrier, "story-02-shipment")

    # 4. acme-motors sees the shipment on its order and posts the goods receipt
    buyer.reload()
    expect(fact(buyer, "Deliveries")).to_have_text("1 shipped, 0 received")
    buyer.get_by_label("Receipt number").fill(GR)
    expect(buyer.get_by_label("Line 1 quantity received (EA)")).to_have_value("100")
    expect(buyer.get_by_label("Line 2 quantity received (PCE)")).to_have_value("50")
    buyer.get_by_role("button", name="Post goods receipt").click()
    received = notice_tx(buyer, "Your goods receipt is recorded on chain.")
    expect(fact(buyer, "Deliveries")).to_have_text("1 shipped, 1 received")
    screenshots(buyer, "story-03-receipt")

    # 5. shenzhen-precision issues the invoice from the order
    go(supplier, "Purchase orders")
    supplier.get_by_role("link", name=PO, exact=True).click()
    supplier.get_by_role("link", name="Issue an invoice for this order").click()
    expect(supplier.get_by_role("heading", level=1)).to_have_text(f"Invoice purchase order {PO}")
    expect(supplier.get_by_label("Line 1 quantity invoiced (EA)")).to_have_value("100")  # what was received
    supplier.get_by_label("Invoice number").fill(INVOICE)
    supplier.get_by_label("Due date (maturity)").fill(due.isoformat())
    supplier.get_by_role("button", name="Issue invoice").click()
    expect(supplier.get_by_role("heading", level=1)).to_have_text(f"Receivable for invoice {INVOICE}")
    issued = notice_tx(supplier, "Your invoice is a receivable on chain")
    rid = supplier.url.split("/receivables/")[1].split("?")[0]
    expect(supplier.get_by_test_id("status")).to_have_text("issued")
    expect(supplier.get_by_test_id("match-status")).to_have_text("matched")
    expect(fact(supplier, "Face value")).to_have_text("110,000.00 USD")
    expect(fact(supplier, "Maturity")).to_have_text(due.isoformat())
    screenshots(supplier, "story-04-invoice")

    # 6. acme-motors sees the match side by side (matched) and confirms
    go(buyer, "Invoices & receivables")
    row = buyer.locator("table.receivables tbody tr").filter(
        has=buyer.locator(f"a[href='/receivables/{rid}']")
    )
    expect(row).to_contain_text("Shenzhen Precision Parts")
    expect(row).to_contain_text("110,000.00 USD")
    expect(row).to_contain_text("issued")
    row.get_by_role("link").click()
    expect(buyer.get_by_role("heading", level=1)).to_have_text(f"Receivable for invoice {INVOICE}")
    expect(buyer.get_by_test_id("match-result")).to_contain_text("Result: matched")
    match = buyer.locator("table.match")  # per line: the order, the receipt and the invoice side by side
    lines = match.locator("tbody tr.line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("BRK-220")
    expect(lines.nth(0).locator("td")).to_have_text(
        [
            "BRK-220",
            "100 EA",
            "1,000.00 USD",
            "100,000.00 USD",
            "100 EA",
            "100 EA",
            "1,000.00 USD",
            "100,000.00 USD",
        ]
    )
    expect(match).to_contain_text("Line 1 matches.")
    expect(match).to_contain_text("Line 2 matches.")
    expect(match.locator(".flag")).to_have_count(0)
    buyer.get_by_role("button", name="Confirm receivable").click()
    confirmed = notice_tx(buyer, "You confirmed the receivable")
    expect(buyer.get_by_test_id("status")).to_have_text("confirmed")
    screenshots(buyer, "story-05-confirmed")

    # 7. shenzhen-precision asks financiers to finance it
    supplier.reload()
    supplier.get_by_label("Least advance you accept (USD)").fill("100,000.00")
    supplier.get_by_role("button", name="Request financing").click()
    expect(supplier.get_by_role("status")).to_contain_text("Financing is requested")
    request = supplier.locator("li").filter(has=supplier.locator("a[href^='/financing/0x']"))
    expect(request).to_contain_text("requested, at least 100,000.00 USD asked")
    screenshots(supplier, "story-06-requested")

    # 8. harbour-bank has no cash yet: it tokenizes its own, enough for the advance
    go(bank, "Cash")
    expect(bank.get_by_test_id("balance")).to_have_text("0.00 USD")
    own = deposit(bank, "Harbour Bank (your own cash)", "104,500.00")
    expect(bank.get_by_role("status")).to_contain_text("The deposit of Harbour Bank is tokenized")
    expect(bank.get_by_test_id("balance")).to_have_text("104,500.00 USD")
    screenshots(bank, "story-07-bank-cash")

    # 9. ... and offers 95 % of the invoice, below the programme's risk-review threshold
    go(bank, "Financing")
    bank.get_by_role("row").filter(has_text="Shenzhen Precision Parts").get_by_role(
        "link", name=f"Invoice {INVOICE}"
    ).click()
    expect(bank.get_by_test_id("evidence")).to_contain_text("match: matched")
    expect(bank.get_by_test_id("evidence")).to_contain_text("confirmed by the debtor")
    bank.get_by_label("Advance (USD)", exact=True).fill("104,500.00")
    bank.get_by_label("Annual discount rate (basis points)", exact=True).fill("300")
    bank.get_by_label("Tenor (days)").fill(str(TERM_DAYS))
    bank.get_by_role("button", name="Make offer").click()
    expect(bank.get_by_role("status")).to_have_text("Your offer is recorded on chain.")
    financing_url = bank.url.split("?")[0]
    expect(bank.get_by_role("table").filter(has_text="Financier")).to_contain_text("104,500.00 USD")
    screenshots(bank, "story-08-offer")

    # 10. shenzhen-precision accepts: cash and receivable change hands in one transaction
    go(supplier, "Financing")
    supplier.get_by_role("row").filter(
        has=supplier.get_by_role("link", name=f"Invoice {INVOICE}")
    ).get_by_role("link").click()
    supplier.get_by_role("button", name="Accept the offer of Harbour Bank").click()
    expect(supplier.get_by_role("status")).to_have_text("You accepted the offer.")
    expect(supplier.get_by_test_id("financing-status")).to_have_text("funded")
    funded = supplier.get_by_test_id("tx-hash").inner_text()
    assert TX_HASH.match(funded)
    expect(fact(supplier, "Advance")).to_have_text("104,500.00 USD")
    screenshots(supplier, "story-09-funded")
    go(supplier, "Cash")
    expect(supplier.get_by_test_id("balance")).to_have_text(f"{(before[SUPPLIER] + ADVANCE) / 100:,.2f} USD")

    # 11. harbour-bank tokenizes acme-motors' deposit, the cash it repays with
    buyer_cash = deposit(bank, "ACME Motors", "110,000.00")
    expect(bank.get_by_role("status")).to_contain_text("The deposit of ACME Motors is tokenized")
    expect(bank.get_by_test_id("balance")).to_have_text("0.00 USD")  # its own cash went to the advance
    screenshots(bank, "story-10-buyer-cash")

    # 12. the due date comes; acme-motors repays the full amount to the holder, harbour-bank
    reach(deployed, datetime.combine(due, time(), tzinfo=UTC))
    go(buyer, "Invoices & receivables")
    buyer.locator(f"a[href='/receivables/{rid}']").click()
    expect(fact(buyer, "Holder")).to_have_text("Harbour Bank")
    expect(buyer.get_by_test_id("balance")).to_contain_text("110,000.00 USD")
    expect(buyer.get_by_label("Amount to repay (USD)")).to_have_value("110000.00")
    buyer.get_by_role("button", name="Repay").click()
    repaid = notice_tx(buyer, "Your repayment is recorded on chain and paid to the holder.")
    expect(buyer.get_by_test_id("status")).to_have_text("repaid")
    expect(fact(buyer, "Outstanding")).to_have_text("0.00 USD")
    expect(buyer.locator(".evidence-timeline")).to_contain_text("RepaymentMade")
    screenshots(buyer, "story-11-repayment")

    # 13. every party sees the final state
    go(buyer, "Cash")
    expect(buyer.get_by_test_id("balance")).to_have_text(f"{before[BUYER] / 100:,.2f} USD")
    for page in (supplier, bank):
        page.goto(financing_url)
        expect(page.get_by_test_id("financing-status")).to_have_text("repaid")
        expect(page.locator(".timeline")).to_contain_text("FinancingRepaid")
        page.get_by_role("link", name=f"Invoice {INVOICE}", exact=True).click()
        expect(page.get_by_test_id("status")).to_have_text("repaid")
        expect(fact(page, "Repaid")).to_have_text("110,000.00 USD")
    go(bank, "Cash")
    expect(bank.get_by_test_id("balance")).to_have_text(f"{(before[BANK] + FACE) / 100:,.2f} USD")
    go(bank, "Financing")
    expect(bank.get_by_role("row").filter(has_text=f"Invoice {INVOICE}")).to_contain_text("repaid")
    screenshots(bank, "story-12-repaid")

    # the outcome, through the JSON API
    receivable = api_call(web_stack, BUYER, "GET", f"/receivables/{rid}", expect=200)
    assert (receivable["status"], receivable["repaid_minor"], receivable["face_value_minor"]) == (
        "repaid",
        FACE,
        FACE,
    )
    assert receivable["holder"] == web_stack.orgs[BANK]["org_id"]
    [financing] = receivable["financings"]
    shown = api_call(
        web_stack, SUPPLIER, "GET", f"/financing-requests/{financing['financing_id']}", expect=200
    )
    assert (shown["status"], shown["advance_minor"], shown["financier"]) == (
        "repaid",
        ADVANCE,
        web_stack.orgs[BANK]["org_id"],
    )
    assert financing_url.endswith(f"/financing/{shown['id']}")
    assert balance(web_stack, BUYER) == before[BUYER]  # deposited 110,000.00, repaid 110,000.00
    assert balance(web_stack, SUPPLIER) == before[SUPPLIER] + ADVANCE
    assert balance(web_stack, BANK) == before[BANK] + FACE  # deposited the advance, paid it, repaid the face
    events = {(e["event"], e["tx_hash"]) for e in receivable["timeline"]}
    for event, tx in (
        ("OrderRegistered", registered),
        ("ReceiptRecorded", received),
        ("ReceivableConfirmed", confirmed),
        ("FinancingFunded", funded),
        ("RepaymentMade", repaid),
    ):
        assert (event, tx) in events, (event, tx)
    assert issued in {e["tx_hash"] for e in receivable["timeline"]}  # its last one: the match attested
    assert "ReceivableIssued" in {e["event"] for e in receivable["timeline"]}
    order = api_call(web_stack, BUYER, "GET", f"/purchase-orders/{order_id}", expect=200)
    assert (order["shipments"], order["receipts"], order["invoiced_minor"]) == (1, 1, FACE)
    assert any(e["event"] == "ShipmentRecorded" and e["tx_hash"] == shipped for e in order["timeline"])
    assert TX_HASH.match(own) and TX_HASH.match(buyer_cash) and own != buyer_cash
