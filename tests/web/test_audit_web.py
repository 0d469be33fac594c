"""The auditor's pages in a real browser: the organisations that authorised it, a dropped document checked
against the chain, any record looked up by id or tx hash (and another organisation's refused), and an
audit pack downloaded and re-verified with ``tradeledger audit check``'s code."""

from __future__ import annotations

import json
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ChainHarness
from tests.web.conftest import WebStack, api_call, confirmed_receivable, nav_links, screenshots, sign_in
from tradeledger.audit.check import check_pack

pytestmark = [pytest.mark.browser, pytest.mark.chain]

AUDITOR, GRANTING, OTHER = "ledger-audit", "shenzhen-precision", "dongguan-castings"


@dataclass(frozen=True)
class Audited:
    """What the auditor may see (a receivable of the granting supplier, its invoice document) and what
    it may not (a receivable of a supplier that granted nothing)."""

    granted: str
    hidden: str
    invoice: dict[str, Any]  # the audit API's layer: record (with content) and anchor


@pytest.fixture(scope="module")
def audited(web_stack: WebStack) -> Audited:
    granted = confirmed_receivable(web_stack, GRANTING, "PO-AUD-1")
    hidden = confirmed_receivable(web_stack, OTHER, "PO-AUD-2")
    grant = {"auditor": web_stack.orgs[AUDITOR]["org_id"]}
    api_call(web_stack, GRANTING, "POST", "/auditor-grants", grant, expect=201)
    org = web_stack.orgs[GRANTING]["org_id"]
    documents = api_call(web_stack, AUDITOR, "GET", f"/audit/organisations/{org}/documents", expect=200)
    invoice = next(d for d in documents if d["record"]["type"] == "invoice")
    return Audited(granted, hidden, invoice)


def invoice_file(audited: Audited) -> bytes:
    """The invoice as an auditor saves it from the API: indented, keys in another order."""
    return json.dumps(audited.invoice["record"]["content"], indent=2, sort_keys=False).encode()


def verify_file(page: Page, stack: WebStack, name: str, content: bytes, salt: str = "") -> None:
    page.goto(stack.url + "/audit/verify")
    if salt:
        page.get_by_label("Commitment salt (optional)").fill(salt)
    page.get_by_label("Document or reading proof file").set_input_files(
        files=[{"name": name, "mimeType": "application/json", "buffer": content}]
    )
    page.get_by_role("button", name="Verify against the chain").click()
    page.wait_for_load_state()


def test_the_auditor_sees_the_organisations_that_authorised_it(
    page: Page, web_stack: WebStack, audited: Audited
) -> None:
    sign_in(page, web_stack, AUDITOR)
    assert "Audit" in nav_links(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()

    expect(page.get_by_role("heading", name="Organisations you may audit")).to_be_visible()
    table = page.get_by_role("region", name="Organisations you may audit").last  # the table in its section
    expect(table.get_by_role("link", name="Shenzhen Precision Parts")).to_be_visible()
    expect(table).to_contain_text("its grant")
    expect(table).not_to_contain_text("Dongguan")
    screenshots(page, "audit-home")

    table.get_by_role("link", name="Shenzhen Precision Parts").click()
    expect(page.get_by_role("heading", name="Shenzhen Precision Parts", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Receivables").last).to_contain_text(audited.granted[:8])


def test_other_roles_get_no_audit_pages(page: Page, web_stack: WebStack) -> None:
    sign_in(page, web_stack, GRANTING)
    response = page.goto(web_stack.url + "/audit")

    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("role_required")


def test_a_dropped_document_is_found_anchored_with_its_transaction(
    page: Page, web_stack: WebStack, audited: Audited
) -> None:
    sign_in(page, web_stack, AUDITOR)
    anchor = audited.invoice["anchor"]

    verify_file(page, web_stack, "invoice.json", invoice_file(audited))

    result = page.get_by_role("status")
    expect(result).to_contain_text("Anchored on chain: verified")
    expect(page.get_by_test_id("tx-hash")).to_have_text(anchor["tx_hash"])
    expect(page.get_by_test_id("block")).to_have_text(str(anchor["block"]))
    facts = page.locator(".verification .facts")
    expect(facts).to_contain_text("Shenzhen Precision Parts")  # the issuer, from the chain
    expect(facts).to_contain_text("invoice")
    expect(page.get_by_role("region", name="Checks")).not_to_contain_text("FAILED")
    screenshots(page, "audit-verify")

    # the drop zone: a file dropped on it is sent at once (the JavaScript path)
    page.goto(web_stack.url + "/audit/verify")
    dropped = page.evaluate_handle(
        """(text) => { const data = new DataTransfer();
                       data.items.add(new File([text], "dropped.json", {type: "application/json"}));
                       return data; }""",
        invoice_file(audited).decode(),
    )
    with page.expect_navigation():
        page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": dropped})
    expect(page.get_by_role("status")).to_contain_text("Anchored on chain: verified")
    expect(page.get_by_role("status")).to_contain_text("dropped.json")
    expect(page.get_by_test_id("tx-hash")).to_have_text(anchor["tx_hash"])


def test_a_file_that_was_never_anchored_is_reported_so(
    page: Page, web_stack: WebStack, audited: Audited
) -> None:
    sign_in(page, web_stack, AUDITOR)
    stranger = json.dumps({"type": "Invoice", "invoice_number": "INV-" + secrets.token_hex(4)}).encode()

    verify_file(page, web_stack, "stranger.json", stranger)
    expect(page.get_by_role("status")).to_contain_text("Not anchored on chain")
    expect(page.get_by_test_id("tx-hash")).to_have_count(0)

    # with a salt the verifier looks for the commitment among every anchor on chain
    verify_file(page, web_stack, "stranger.json", stranger, salt="0x" + secrets.token_hex(32))
    expect(page.get_by_role("status")).to_contain_text("Not anchored on chain")
    expect(page.get_by_role("status")).to_contain_text("no document on chain has commitment")

    # the invoice with a wrong salt is not the anchored commitment either
    verify_file(page, web_stack, "invoice.json", invoice_file(audited), salt="0x" + "11" * 32)
    expect(page.get_by_role("status")).to_contain_text("Not anchored on chain")

    response = page.request.post(
        web_stack.url + "/audit/verify",
        multipart={
            "document": {"name": "x.json", "mimeType": "application/json", "buffer": stranger},
            "salt": "not-a-salt",
        },
        headers={"Origin": web_stack.url},
    )
    assert response.status == 422 and "invalid_salt" in response.text()


def test_the_auditor_looks_up_a_record_it_may_see_and_not_another(
    page: Page, web_stack: WebStack, audited: Audited
) -> None:
    sign_in(page, web_stack, AUDITOR)
    page.goto(web_stack.url + "/audit")

    page.get_by_label("Record id or transaction hash").fill(audited.granted)
    page.get_by_role("button", name="Look up").click()

    expect(page.get_by_role("heading", name="Receivable", level=2)).to_be_visible()
    expect(page.get_by_test_id("record-id")).to_have_text(audited.granted)
    record = page.locator(".record")
    expect(record).to_contain_text("100,000.00 USD")
    expect(record).to_contain_text("Shenzhen Precision Parts authorised you")
    evidence = page.get_by_role("region", name="On-chain evidence")
    expect(evidence).to_contain_text("ReceivableIssued")
    expect(evidence).to_contain_text("DocumentAnchored")  # the invoice, the order and its documents
    screenshots(page, "audit-record")

    # the transaction that issued it resolves to the same receivable
    issued = evidence.get_by_role("row").filter(has_text="ReceivableIssued").first
    tx_hash = issued.get_by_role("link").last.get_attribute("href")
    assert tx_hash is not None
    page.goto(web_stack.url + tx_hash)
    expect(page.get_by_role("heading", name="Transaction")).to_be_visible()
    expect(page.get_by_test_id("record-id").first).to_have_text(audited.granted)

    # a receivable of an organisation that granted nothing: not found, like an id that does not exist
    for missing in (audited.hidden, "0x" + "ab" * 32):
        response = page.goto(web_stack.url + f"/audit/lookup?q={missing}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("alert")).to_contain_text("record_not_found")
        expect(page.get_by_test_id("record-id")).to_have_count(0)


def test_the_auditor_downloads_a_pack_that_audit_check_verifies(
    page: Page, web_stack: WebStack, audited: Audited, deployed: ChainHarness, tmp_path: Path
) -> None:
    sign_in(page, web_stack, AUDITOR)
    page.goto(web_stack.url + f"/audit/organisations/{web_stack.orgs[GRANTING]['org_id']}")
    page.get_by_label("From (UTC, first day)").fill("2000-01-01")
    page.get_by_label("To (UTC, last day)").fill("2099-12-31")

    with page.expect_download(timeout=120_000) as started:
        page.get_by_role("button", name="Download the audit pack").click()
        expect(page.locator("[data-pack-status]")).to_contain_text("Building the audit pack")
    download = started.value
    assert download.suggested_filename.startswith("audit-pack-shenzhen-precision-parts-2000-01-01")
    expect(page.locator("[data-pack-status]")).to_contain_text("Downloaded", timeout=30_000)

    archive = tmp_path / download.suggested_filename
    download.save_as(archive)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path)
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "pack.json").read_text())
    assert manifest["organisation"]["id"] == web_stack.orgs[GRANTING]["org_id"]
    assert manifest["counts"]["receivables"] >= 1 and manifest["counts"]["documents"] >= 1
    expect(page.locator("[data-pack-status]")).to_contain_text(manifest["manifest_hash"])

    reports = check_pack(folder, deployed.chain.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    failed = [(r.kind, r.subject, [c.detail for c in r.failures]) for r in reports if not r.ok]
    assert failed == []
    assert audited.granted in {r.subject for r in reports if r.kind == "receivable"}


def test_a_pack_of_an_organisation_that_granted_nothing_is_refused(page: Page, web_stack: WebStack) -> None:
    sign_in(page, web_stack, AUDITOR)
    page.goto(web_stack.url + "/audit")
    response = page.request.post(
        web_stack.url + "/audit/pack",
        form={"org": web_stack.orgs[OTHER]["org_id"], "from": "2000-01-01", "to": "2099-12-31"},
        headers={"Origin": web_stack.url},
    )

    assert response.status == 404 and "organisation_not_found" in response.text()
    assert response.headers["content-type"].startswith("text/html")
