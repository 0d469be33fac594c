"""Browser tests: the app served by uvicorn over the test chain with the demo consortium, driven by
Playwright in Debian's headless chromium (``/usr/bin/chromium``; never a browser download).

Screenshots of each main page, at laptop and phone widths, go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.app import create_app
from api.db import make_engine, migrate
from api.orders.models import OrderRow
from api.projections import all_projections
from api.settings import Settings
from chain.config import project_root
from chain.indexer import Indexer
from chain.node import free_port
from tests.conftest import ChainHarness

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = project_root() / "test-artifacts" / "web"
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
NARROWEST = (360, 740)  # checked for overflow, not kept


@dataclass
class WebStack:
    """The running app: its URL, the demo organisations (handle -> org_id, name, role, api_key)."""

    url: str
    orgs: dict[str, dict[str, str]]
    engine: Engine

    def key(self, handle: str) -> str:
        return self.orgs[handle]["api_key"]

    def order_count(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(OrderRow)).one())


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium; skipped without it, except in CI, where that is a failure (``make test``
    installs it)."""
    if not os.access(CHROMIUM, os.X_OK):
        why = f"{CHROMIUM} is missing; `make test` installs it (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {why}")
        pytest.skip(why)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at laptop width."""
    width, height = WIDTHS["laptop"]
    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="module")
def web_stack(deployed: ChainHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    """The app (API and web UI) on a free port, over the test chain and a fresh SQLite database, with the
    demo consortium of ``tradeledger up`` seeded; the chain is rolled back afterwards."""
    import uvicorn

    from tradeledger.demo import seed_demo

    snapshot = deployed.snapshot()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}")
    migrate(engine)
    indexer = Indexer(deployed.chain, engine, all_projections())
    indexer.sync()
    with Session(engine) as session:
        orgs = seed_demo(session, deployed.chain, indexer)
    app = create_app(Settings(environment="test"), engine=engine)
    app.state.chain, app.state.indexer = deployed.chain, indexer
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-stack", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield WebStack(f"http://127.0.0.1:{port}", orgs, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        deployed.revert(snapshot)


def screenshots(page: Page, name: str) -> list[Path]:
    """Full-page screenshots of ``page`` at laptop and phone widths
    (``test-artifacts/web/<name>-<width>.png``),
    checking at each, and at the narrowest phone width (360 px), that the page is no wider than the window
    (wide tables scroll in their own box)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state()  # a page still loading has no document to measure
    size = page.viewport_size
    paths = []
    for width, height in [*WIDTHS.values(), NARROWEST]:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px wider than a {width} px window"
        if (width, height) == NARROWEST:
            continue
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    if size is not None:
        page.set_viewport_size(size)
    return paths


def sign_in(page: Page, stack: WebStack, handle: str) -> None:
    page.goto(stack.url + "/")
    page.get_by_label("API key").fill(stack.key(handle))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .org-name")).to_have_text(stack.orgs[handle]["name"])


def nav_links(page: Page) -> list[str]:
    return page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()


# --- set-up through the JSON API (financing) -----------------------------------------------------


def api_call(
    stack: WebStack, handle: str, method: str, path: str, body: object = None, expect: int = 0
) -> Any:
    """``method /api/v1<path>`` as ``handle`` (its demo key), for a test's preconditions; the JSON answer.
    With ``expect``, the status must be that."""
    import httpx

    response = httpx.request(
        method,
        f"{stack.url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {stack.key(handle)}"},
        timeout=60,
    )
    assert not expect or response.status_code == expect, response.text
    return response.json()


def book_carrier(
    stack: WebStack, order_id: str, carrier: str = "fastfreight", by: str = "shenzhen-precision"
) -> None:
    """``by`` (the order's supplier unless named) books ``carrier`` on the order through the JSON API, so
    the carrier may see it and record its shipments."""
    body = {"carrier": stack.orgs[carrier]["org_id"]}
    api_call(stack, by, "POST", f"/purchase-orders/{order_id}/carrier-bookings", body, expect=201)


def confirmed_receivable(
    stack: WebStack,
    supplier: str = "shenzhen-precision",
    po_number: str = "PO-FIN-1",
    quantity: int = 100,
    due_date: str = "2099-07-19",
) -> str:
    """A confirmed receivable of ``supplier`` owed by acme-motors, made through the JSON API: acme-motors'
    purchase order ``po_number`` (one line, ``quantity`` brake discs at 1,000.00 USD), its goods receipt,
    the supplier's matching invoice ``INV-<po_number>`` (issued 2026-04-20, due ``due_date``) and
    acme-motors' confirmation. Returns the receivable's id."""
    import httpx

    buyer = "acme-motors"
    csv = (
        "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
        f'{po_number},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,{quantity},EA,"1,000.00"\n'
    )
    uploaded = httpx.post(
        f"{stack.url}/api/v1/purchase-orders",
        params={"supplier": stack.orgs[supplier]["org_id"]},
        content=csv,
        headers={"Authorization": f"Bearer {stack.key(buyer)}", "Content-Type": "text/csv"},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    order_id = uploaded.json()["id"]
    lines = [{"po_line_no": 1, "item": "BRK-220", "quantity": str(quantity), "unit": "EA"}]
    receipt = {
        "receipt_number": f"GR-{po_number}",
        "received_at": "2026-04-18T09:30:00+02:00",
        "lines": lines,
    }
    api_call(stack, buyer, "POST", f"/purchase-orders/{order_id}/goods-receipts", receipt, expect=201)
    invoice = {
        "order_id": order_id,
        "invoice_number": f"INV-{po_number}",
        "currency": "USD",
        "issue_date": "2026-04-20",
        "due_date": due_date,
        "lines": [{**lines[0], "unit_price": "1000.00"}],
    }
    receivable = api_call(stack, supplier, "POST", "/invoices", invoice, expect=201)
    assert receivable["match_status"] == "matched", receivable
    confirmed = api_call(stack, buyer, "POST", f"/receivables/{receivable['id']}/confirm", {}, expect=200)
    assert confirmed["status"] == "confirmed", confirmed
    return str(receivable["id"])
