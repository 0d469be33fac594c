"""The web UI in a real browser against a running stack: signing in as each demo role, the buyer's
purchase-order upload (CSV and JSON) with per-line errors, the keyboard, signing out and forged posts."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from api.orders.models import OrderRow
from tests.web.conftest import WebStack, nav_links, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BUYER, SUPPLIER, AUDITOR = "acme-motors", "shenzhen-precision", "ledger-audit"
COOKIE = "tradeledger_session"
HEADER = "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
PO_CSV = HEADER + (
    '{po},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,"1,000.00"\n'
    "{po},USD,2026-03-01,2026-04-15,2,BLT-M8,Bolt M8,50,PCE,200.00\n"
)
BAD_CSV = HEADER + (
    "PO-WEB-BAD,USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,1000.00\n"
    "PO-WEB-BAD,USD,2026-03-01,2026-04-15,2,BLT-M8,Bolt M8,lots,PCE,200.00\n"
    "PO-WEB-BAD,USD,2026-03-01,2026-04-15,3,NUT-M8,Nut M8,10,BARREL,0.50\n"
    "PO-WEB-BAD,USD,2026-03-01,2026-04-15,3,WSH-M8,Washer M8,10,EA,0.10\n"
)
# what each demo organisation's header and main navigation show
ROLES = {
    "core_enterprise": (
        "Core enterprise (buyer)",
        [
            "Home",
            "Purchase orders",
            "Invoices & receivables",
            "Cash",
            "Letters of credit",
            "Shipments",
            "Carbon",
        ],
    ),
    "supplier": (
        "Supplier",
        [
            "Home",
            "Purchase orders",
            "Invoices & receivables",
            "Financing",
            "Cash",
            "Letters of credit",
            "Shipments",
            "Carbon",
        ],
    ),
    "financier": (
        "Financier",
        ["Home", "Financing", "Cash", "Invoices & receivables", "Letters of credit", "Carbon"],
    ),
    "logistics": ("Logistics provider", ["Home", "Shipments", "Carbon"]),
    "iot_oracle": ("IoT oracle", ["Home", "Carbon"]),
    "carbon_verifier": ("Carbon verifier", ["Home", "Carbon"]),
    "auditor": ("Auditor", ["Home", "Audit", "Carbon"]),
    "customs_oracle": ("Customs oracle", ["Home", "Customs declarations"]),
    "operator": ("Consortium operator", ["Home"]),
}


def upload(
    page: Page, name: str, content: str, mime: str = "text/csv", supplier: str = "Shenzhen Precision Parts"
):
    page.get_by_label("Purchase order file (CSV or JSON)").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content.encode()}]
    )
    page.get_by_label("Supplier").select_option(label=supplier)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/purchase-orders")
    ) as sent:
        page.get_by_role("button", name="Upload purchase order").click()
    page.wait_for_load_state()
    return sent.value


def session_cookie(context: BrowserContext) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


# --- signing in ----------------------------------------------------------------------------------


def test_a_bad_key_shows_the_error_and_signs_nobody_in(
    web_stack: WebStack, page: Page, context: BrowserContext
) -> None:
    page.goto(web_stack.url + "/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    screenshots(page, "login")

    page.get_by_label("API key").fill("tl_00000000_not-a-key")
    with page.expect_response(lambda r: r.url.endswith("/login")) as sent:
        page.get_by_role("button", name="Sign in").click()

    assert sent.value.status == 401
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the API key is not valid (unknown or revoked)")
    expect(alert).to_contain_text("invalid_api_key")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    assert session_cookie(context) is None
    screenshots(page, "login-error")


def test_each_demo_role_sees_its_name_role_and_navigation(
    web_stack: WebStack, context: BrowserContext
) -> None:
    seen = set()
    for handle, org in web_stack.orgs.items():
        context.clear_cookies()
        page = context.new_page()
        sign_in(page, web_stack, handle)
        label, links = ROLES[org["role"]]

        expect(page.locator("header .role")).to_have_text(label)
        expect(page.get_by_role("heading", level=1)).to_have_text(org["name"])
        expect(page.locator("main")).to_contain_text(org["org_id"])
        assert nav_links(page) == links, handle
        if handle in (BUYER, AUDITOR):
            screenshots(page, f"home-{org['role']}")
        seen.add(org["role"])
        page.close()
    assert seen == set(ROLES)


def test_the_sign_in_form_works_with_the_keyboard_alone(web_stack: WebStack, page: Page) -> None:
    page.goto(web_stack.url + "/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")  # past the header, into <main>
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("API key")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus shows
    page.keyboard.type(web_stack.key(SUPPLIER))
    page.keyboard.press("Enter")

    expect(page.locator("header .org-name")).to_have_text("Shenzhen Precision Parts")
    expect(page.locator("header .role")).to_have_text("Supplier")


def test_signing_out_clears_the_cookie(web_stack: WebStack, page: Page, context: BrowserContext) -> None:
    sign_in(page, web_stack, BUYER)
    cookie = session_cookie(context)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["expires"] == -1  # a session cookie: gone with the browser

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert session_cookie(context) is None
    page.goto(web_stack.url + "/purchase-orders")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert page.url == web_stack.url + "/"


# --- the buyer's purchase orders -----------------------------------------------------------------


def test_the_buyer_uploads_a_csv_order_and_sees_it_with_its_transaction(
    web_stack: WebStack, page: Page
) -> None:
    sign_in(page, web_stack, BUYER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchase orders").click()
    expect(page.get_by_role("heading", name="Purchase orders", level=1)).to_be_visible()
    before = web_stack.order_count()

    response = upload(page, "po-web-1.csv", PO_CSV.format(po="PO-WEB-1"))

    assert response.status == 303
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchase order PO-WEB-1")
    tx = page.get_by_test_id("tx-hash").inner_text()
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx)
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(f"Purchase order PO-WEB-1 is registered on chain: transaction {tx}")
    with Session(web_stack.engine) as session:
        row = session.exec(select(OrderRow).where(OrderRow.registered_tx == tx)).one()
    assert web_stack.order_count() == before + 1
    assert page.url == f"{web_stack.url}/purchase-orders/{row.order_id}?uploaded=1"
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("ACME Motors")
    expect(facts).to_contain_text("Shenzhen Precision Parts")
    expect(facts).to_contain_text("110,000.00 USD")
    lines = page.locator("table.lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("BRK-220")
    expect(lines.nth(0)).to_contain_text("100 EA")
    expect(lines.nth(0)).to_contain_text("100,000.00 USD")
    expect(page.locator(".timeline")).to_contain_text("OrderRegistered")
    screenshots(page, "order-detail")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchase orders").click()
    listed = page.locator("table.orders tbody tr").filter(has_text="PO-WEB-1")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Shenzhen Precision Parts")
    expect(listed).to_contain_text("110,000.00 USD")
    expect(listed).to_contain_text("open")
    screenshots(page, "orders")


def test_a_malformed_csv_shows_each_bad_line_and_creates_no_order(web_stack: WebStack, page: Page) -> None:
    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/purchase-orders")
    before = web_stack.order_count()

    response = upload(page, "bad.csv", BAD_CSV)

    assert response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("row 3: line 2 quantity: 'lots' is not a number")
    expect(alert).to_contain_text("invalid_number")
    problems = page.locator("table.problems tbody tr")
    expect(problems).to_have_count(3)
    rows = [problems.nth(i).locator("td").all_inner_texts() for i in range(3)]
    assert [(row, line, problem.split()[-1]) for row, line, problem in rows] == [
        ("3", "2", "invalid_number"),
        ("4", "3", "invalid_document"),
        ("5", "3", "duplicate_line"),
    ]
    assert rows[0][2].startswith("line 2 quantity: 'lots' is not a number")
    assert rows[1][2].startswith("line 3 unit: unknown unit 'BARREL'")
    assert rows[2][2].startswith("line 3 is on row 4 already")
    assert web_stack.order_count() == before
    expect(page.get_by_label("Supplier")).to_have_value(
        web_stack.orgs[SUPPLIER]["org_id"]
    )  # kept for a retry
    expect(page.locator("table.orders")).not_to_contain_text("PO-WEB-BAD")
    screenshots(page, "upload-errors")


def test_the_form_checks_a_file_as_it_is_chosen_before_anything_is_sent(
    web_stack: WebStack, page: Page
) -> None:
    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/purchase-orders")
    check = page.locator("#upload-check")
    before = web_stack.order_count()

    page.get_by_label("Purchase order file (CSV or JSON)").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}]
    )
    expect(check).to_contain_text("Choose the supplier too")
    page.get_by_label("Supplier").select_option(label="Shenzhen Precision Parts")

    expect(check.get_by_role("alert")).to_contain_text("invalid_number")
    expect(check.locator("table.problems tbody tr")).to_have_count(3)
    screenshots(page, "upload-check")

    page.get_by_label("Purchase order file (CSV or JSON)").set_input_files(
        files=[
            {"name": "po.csv", "mimeType": "text/csv", "buffer": PO_CSV.format(po="PO-WEB-CHECK").encode()}
        ]
    )

    expect(check).to_have_text(
        re.compile(r"PO-WEB-CHECK: 2 lines,\s+110,000.00 USD. The file is ready to upload.")
    )
    expect(check.get_by_role("alert")).to_have_count(0)
    assert web_stack.order_count() == before  # checked, not uploaded
    assert page.url == web_stack.url + "/purchase-orders"


def test_the_buyer_uploads_a_json_order_and_a_bad_one_names_its_fields(
    web_stack: WebStack, page: Page
) -> None:
    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/purchase-orders")
    order = {
        "po_number": "PO-WEB-JSON",
        "currency": "USD",
        "issue_date": "2026-03-01",
        "lines": [{"line_no": 1, "item": "CAL-F4", "quantity": "20", "unit": "EA", "unit_price": "680.00"}],
    }
    before = web_stack.order_count()

    bad = upload(page, "po.json", json.dumps({**order, "lines": [{"line_no": 0}]}), "application/json")
    assert bad.status == 422
    expect(page.get_by_role("alert")).to_contain_text("lines.0.line_no")
    expect(page.locator("table.problems tbody tr").filter(has_text="lines.0.item")).to_have_count(1)
    assert web_stack.order_count() == before

    good = upload(page, "po.json", json.dumps(order), "application/json", supplier="Dongguan Castings")
    assert good.status == 303
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchase order PO-WEB-JSON")
    expect(page.locator("dl.facts")).to_contain_text("Dongguan Castings")
    expect(page.locator("dl.facts")).to_contain_text("13,600.00 USD")
    assert web_stack.order_count() == before + 1


# --- forged posts --------------------------------------------------------------------------------


def test_a_post_from_another_origin_is_refused(
    web_stack: WebStack, page: Page, context: BrowserContext
) -> None:
    sign_in(page, web_stack, BUYER)
    supplier = web_stack.orgs[SUPPLIER]["org_id"]

    def post(po: str, headers: dict[str, str]) -> tuple[int, str]:
        form = {
            "document": {"name": "po.csv", "mimeType": "text/csv", "buffer": PO_CSV.format(po=po).encode()},
            "supplier": supplier,
        }
        sent = page.request.post(
            web_stack.url + "/purchase-orders", multipart=form, headers=headers, max_redirects=0
        )
        return sent.status, sent.text()

    before = web_stack.order_count()
    forged = post("PO-FORGED", {"Origin": "https://attacker.example"})
    bare = post("PO-BARE", {})
    assert forged[0] == 403 and "csrf_failed" in forged[1]
    assert bare[0] == 403 and "csrf_failed" in bare[1]
    assert web_stack.order_count() == before
    logout = page.request.post(web_stack.url + "/logout", headers={"Origin": "https://attacker.example"})
    assert logout.status == 403 and session_cookie(context) is not None

    # a real page of another site (the same app under another host name) submitting a form: the browser
    # sends neither the SameSite=Strict cookie nor a matching Origin
    hostile = web_stack.url.replace("127.0.0.1", "localhost")
    page.goto(hostile + "/")
    with page.expect_response(lambda r: r.url == web_stack.url + "/logout") as sent:
        page.evaluate(
            """url => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
                        document.body.append(f); f.submit(); }""",
            web_stack.url + "/logout",
        )
    assert sent.value.status == 403
    assert session_cookie(context) is not None

    genuine = post("PO-WEB-GENUINE", {"Origin": web_stack.url})  # the same post from this site goes through
    assert genuine[0] == 303 and web_stack.order_count() == before + 1
