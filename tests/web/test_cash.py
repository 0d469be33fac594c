"""Settlement cash in a real browser: a bank tokenizes a member's deposit (bad input refused, nothing
minted), every member sees its own balance, and only a bank may tokenize."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import WebStack, api_call, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BANK, BUYER, SUPPLIER = "harbour-bank", "acme-motors", "shenzhen-precision"
TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")


def balance(stack: WebStack, handle: str) -> int:
    return int(api_call(stack, handle, "GET", "/cash/balance", expect=200)["balance_minor"])


def submit(page: Page) -> int:
    """Send the deposit form; the status of its answer (the redirect, when there is one)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/cash/deposits")
    ) as sent:
        page.get_by_role("button", name="Tokenize deposit").click()
    page.wait_for_load_state()
    return sent.value.status


def test_the_bank_tokenizes_a_deposit_and_bad_input_mints_nothing(web_stack: WebStack, page: Page) -> None:
    before = {h: balance(web_stack, h) for h in (BANK, BUYER)}
    sign_in(page, web_stack, BANK)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cash").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settlement cash")
    expect(page.get_by_test_id("balance")).to_have_text(f"{before[BANK] / 100:,.2f} USD")

    page.get_by_label("Depositor").select_option(label="ACME Motors")
    for amount, code in (("lots", "invalid_number"), ("0", "invalid_form"), ("12.345", "amount_precision")):
        page.get_by_label("Amount (USD)").fill(amount)
        assert submit(page) == 422, amount
        expect(page.get_by_role("alert")).to_contain_text(code)
        expect(page.get_by_label("Amount (USD)")).to_have_value(amount)  # kept for a retry
        expect(page.get_by_label("Amount (USD)")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Depositor")).to_have_value(web_stack.orgs[BUYER]["org_id"])
    assert {h: balance(web_stack, h) for h in (BANK, BUYER)} == before

    page.get_by_label("Amount (USD)").fill("2,500.00")
    assert submit(page) == 303

    notice = page.get_by_role("status")
    expect(notice).to_contain_text("The deposit of ACME Motors is tokenized: transaction 0x")
    assert TX_HASH.match(page.get_by_test_id("tx-hash").inner_text())
    assert balance(web_stack, BUYER) == before[BUYER] + 250_000
    assert balance(web_stack, BANK) == before[BANK]  # minted to the depositor, not taken from the bank
    expect(page.get_by_test_id("balance")).to_have_text(f"{before[BANK] / 100:,.2f} USD")
    screenshots(page, "cash")


def test_a_member_sees_its_own_cash_and_only_a_bank_tokenizes(web_stack: WebStack, page: Page) -> None:
    before = balance(web_stack, SUPPLIER)
    sign_in(page, web_stack, SUPPLIER)
    page.goto(f"{web_stack.url}/cash?deposited={web_stack.orgs[SUPPLIER]['org_id']}&tx=forged")
    expect(page.get_by_test_id("balance")).to_have_text(f"{before / 100:,.2f} USD")
    expect(page.get_by_role("heading", name="Tokenize a deposit")).to_have_count(0)
    expect(page.get_by_test_id("tx-hash")).to_have_count(0)  # not a transaction hash: not shown

    forged = page.request.post(
        f"{web_stack.url}/cash/deposits",
        form={"to": web_stack.orgs[SUPPLIER]["org_id"], "amount": "1,000,000.00"},
        headers={"Origin": web_stack.url},
        max_redirects=0,
    )

    assert forged.status == 403
    assert "role_required" in forged.text() and 'role="alert"' in forged.text()
    assert balance(web_stack, SUPPLIER) == before


def test_a_deposit_needs_an_active_member(web_stack: WebStack, page: Page) -> None:
    sign_in(page, web_stack, BANK)
    sent = page.request.post(
        f"{web_stack.url}/cash/deposits",
        form={"to": "0x" + "ab" * 32, "amount": "10.00"},
        headers={"Origin": web_stack.url},
        max_redirects=0,
    )
    assert sent.status == 422
    assert "invalid_receiver" in sent.text() and 'role="alert"' in sent.text()
