"""The carbon dashboard in a real browser over real data: acme-motors' and fastfreight's devices publish
signed readings to Mosquitto, the IoT oracle verifies and anchors them on chain, acme-motors states its
emissions through the JSON API, green-verify verifies two of them and issues credits, acme-motors retires
some. The pages must show what the API shows the same organisation, and nothing of anyone else's."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from api.carbon.models import ReadingBatchRow, ReadingRow
from api.web.carbon import kg_co2e
from chain.carbon_contracts import DeviceKind
from chain.client import org_key_name
from chain.ids import from_hex32
from iot.identity import device_id, device_key
from iot.readings import Domain, Reading, sign_reading, to_payload
from iot.simulator import binding_id
from iot.topics import readings_topic
from oracles.iot.worker import IotOracle, OracleConfig
from tests.conftest import ChainHarness
from tests.oracles.test_iot_oracle import _publish, _wait
from tests.web.conftest import WebStack, api_call, book_carrier, screenshots, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.chain, pytest.mark.broker]

BUYER, CARRIER, SUPPLIER, VERIFIER, AUDITOR = (
    "acme-motors",
    "fastfreight",
    "shenzhen-precision",
    "green-verify",
    "ledger-audit",
)
FACILITY, BL = "facility:acme-plant-web", "BL-CARBON-1"
PO_CSV = (
    "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
    'PO-CARBON-1,USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,"1,000.00"\n'
)


@dataclass
class CarbonData:
    """What the set-up made: statement ids by name, the devices, the credit token and transactions."""

    statements: dict[str, dict[str, Any]]
    meters: dict[str, str]  # name -> 0x device id (acme-motors')
    truck: str
    order_id: str
    token: str
    issue_tx: str
    retire_tx: str


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _register(h: ChainHarness, owner: str, serial: str, kind: DeviceKind, label: str) -> bytes:
    device = device_id(from_hex32(owner), serial)
    signer = device_key(h.chain.keystore, device).address
    h.chain.devices(org_key_name(from_hex32(owner))).register_device(device, kind, binding_id(label), signer)
    return device


def _through_the_oracle(
    stack: WebStack, h: ChainHarness, mqtt_url: str, readings: list[tuple[str, Reading]]
) -> None:
    """Publish the signed readings to Mosquitto; the IoT oracle (tradeledger-iot's key) verifies,
    persists and anchors them in the web stack's database and on chain."""
    offset = int(h.chain.w3.eth.get_block("latest")["timestamp"]) - time.time() + 1
    tag = secrets.token_hex(4)
    config = OracleConfig(
        broker_url=mqtt_url, group=f"web-{tag}", client_id=f"web-oracle-{tag}", batch_size=50, batch_age=0.5
    )
    oracle_key = org_key_name(from_hex32(stack.orgs["tradeledger-iot"]["org_id"]))
    oracle = IotOracle(config, stack.engine, h.chain, oracle_key, clock=lambda: time.time() + offset)
    domain = Domain(h.chain.chain_id, h.chain.require_manifest().address("DeviceRegistry"))
    stop = threading.Event()
    worker = threading.Thread(target=oracle.run, args=(stop,))
    worker.start()
    try:
        assert oracle.connected.wait(10)
        messages = [
            (
                readings_topic(from_hex32(owner), r.device_id),
                to_payload(r, sign_reading(device_key(h.chain.keystore, r.device_id), domain, r)),
            )
            for owner, r in readings
        ]
        _publish(mqtt_url, messages)

        def anchored() -> int:
            with Session(stack.engine) as session:
                batches = session.exec(select(ReadingBatchRow).where(ReadingBatchRow.status == "anchored"))
                return sum(b.count for b in batches)

        _wait(lambda: anchored() >= len(readings))
    finally:
        stop.set()
        worker.join(30)


@pytest.fixture(scope="module")
def carbon(web_stack: WebStack, deployed: ChainHarness, mqtt_url: str) -> CarbonData:
    stack, h = web_stack, deployed
    acme, carrier = stack.orgs[BUYER]["org_id"], stack.orgs[CARRIER]["org_id"]
    meter = _register(h, acme, "WEB-METER-1", DeviceKind.ELECTRICITY_METER, FACILITY)
    gas = _register(h, acme, "WEB-GAS-1", DeviceKind.GAS_METER, FACILITY)
    truck = _register(h, carrier, "WEB-TRUCK-1", DeviceKind.TRUCK, f"shipment:{BL}")

    # acme-motors' order, and fastfreight's road shipment of it (2 t)
    order = httpx.post(
        f"{stack.url}/api/v1/purchase-orders",
        params={"supplier": stack.orgs[SUPPLIER]["org_id"]},
        content=PO_CSV,
        headers={"Authorization": f"Bearer {stack.key(BUYER)}", "Content-Type": "text/csv"},
        timeout=60,
    ).json()
    shipment = {
        "bl_number": BL,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-01T06:00:00Z",
        "lines": [{"po_line_no": 1, "item": "BRK-220", "quantity": "100", "unit": "EA"}],
        "transport_mode": "road",
        "gross_weight_kg": "2000",
    }
    book_carrier(stack, order["id"], CARRIER, SUPPLIER)
    api_call(stack, CARRIER, "POST", f"/purchase-orders/{order['id']}/shipments", shipment, expect=201)

    # two periods of 99 s on the chain's clock, after the devices were registered (their keys sign
    # from then on): A = [t+1, t+100], B = [t+101, t+200]; the oracle accepts timestamps 300 s ahead
    t = int(h.chain.w3.eth.get_block("latest")["timestamp"])
    plant, road = binding_id(FACILITY), binding_id(f"shipment:{BL}")
    electricity_a = [
        Reading(meter, 1 + n, t + 10 + 10 * n, "electricity_kwh", 5_000, "kWh", plant) for n in range(4)
    ]
    electricity_b = [
        Reading(meter, 5 + n, t + 110 + 10 * n, "electricity_kwh", 2_500, "kWh", plant) for n in range(2)
    ]
    natural_gas = [
        Reading(gas, 1 + n, t + 50 + 10 * n, "natural_gas_m3", 2_000, "m3", plant) for n in range(2)
    ]
    freight = [Reading(truck, 1 + n, t + 50 + 90 * n, "distance_km", 100_000, "km", road) for n in range(2)]
    readings = [(acme, r) for r in electricity_a + electricity_b + natural_gas] + [
        (carrier, r) for r in freight
    ]
    _through_the_oracle(stack, h, mqtt_url, readings)

    a = {"period_start": _iso(t + 1), "period_end": _iso(t + 100)}
    b = {"period_start": _iso(t + 101), "period_end": _iso(t + 200)}
    both = {"period_start": _iso(t + 1), "period_end": _iso(t + 200)}
    bodies = {
        "scope2-a": {"scope": 2, **a},
        "scope2-b": {"scope": 2, **b},
        "scope1-a": {"scope": 1, **a},
        "facility-a": {"scope": 2, "subject": FACILITY, **a},
        "shipment": {"scope": 3, "shipment": BL, **both},
        "order": {"scope": 3, "order": order["id"], **both},
    }
    statements = {
        name: api_call(stack, BUYER, "POST", "/carbon/statements", body, expect=201)
        for name, body in bodies.items()
    }
    for name in ("scope2-a", "scope2-b"):
        api_call(
            stack, VERIFIER, "POST", f"/carbon/statements/{statements[name]['id']}/verify", {}, expect=200
        )
    credits = {
        "project": "acme-plant-web efficiency",
        "vintage": 2026,
        "to": acme,
        "kg": 8,  # 20 kWh - 5 kWh at 536.6 g: 8,049 g less
        "statement": statements["scope2-b"]["id"],
        "baseline": statements["scope2-a"]["id"],
    }
    issued = api_call(stack, VERIFIER, "POST", "/carbon/credits", credits, expect=201)
    retire = {"kg": 3, "beneficiary": "ACME Motors plant 1", "reason": "2026 scope 2, web test"}
    retired = api_call(
        stack, BUYER, "POST", f"/carbon/credits/{issued['token_id']}/retire", retire, expect=200
    )
    return CarbonData(
        statements,
        {"electricity": "0x" + meter.hex(), "gas": "0x" + gas.hex()},
        "0x" + truck.hex(),
        order["id"],
        issued["token_id"],
        issued["tx_hash"],
        retired["tx_hash"],
    )


def test_the_dashboard_shows_the_totals_per_scope_the_api_states(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    listed = api_call(web_stack, BUYER, "GET", "/carbon/statements")
    included = {carbon.statements["facility-a"]["id"], carbon.statements["shipment"]["id"]}
    expected = {
        scope: sum(s["grams_co2"] for s in listed if s["scope"] == scope and s["id"] not in included)
        for scope in (1, 2, 3)
    }
    assert expected[2] == 10_732 + 2_683 and expected[1] > 0 and expected[3] == 24_800  # 200 km x 2 t x 62 g

    sign_in(page, web_stack, BUYER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Carbon").click()

    expect(page.get_by_role("heading", name="Carbon emissions", level=1)).to_be_visible()
    for scope in (1, 2, 3):
        expect(page.locator(f'td[data-scope="{scope}"]')).to_have_text(kg_co2e(expected[scope]))
    chart = page.get_by_role("img", name="Emissions over time by scope (kg CO2e)")
    expect(chart).to_be_visible()
    assert chart.evaluate("e => e.tagName") == "svg"
    assert chart.locator("rect").count() >= 3  # periods A (scopes 1, 2), B (2), A+B (3)
    periods = page.locator("table.periods tbody tr")
    expect(periods).to_have_count(3)
    expect(page.get_by_role("img", name="Emissions per facility (kg CO2e)")).to_be_visible()
    facility = page.locator("table.facilities tbody tr")
    expect(facility).to_have_count(1)
    expect(facility).to_contain_text("electricity meter, gas meter")
    expect(facility).to_contain_text(kg_co2e(carbon.statements["facility-a"]["grams_co2"]))
    freight = page.locator("table.freight tbody tr")
    expect(freight).to_have_count(2)
    expect(page.locator("table.freight tr[data-kind=shipment]")).to_contain_text(
        "no, in its order's statement"
    )
    order = page.locator("table.freight tr[data-kind=order]")
    expect(order).to_contain_text(kg_co2e(24_800))
    expect(order.get_by_role("link")).to_have_attribute("href", f"/purchase-orders/{carbon.order_id}")
    statements = page.locator("table.statements tbody tr")
    expect(statements).to_have_count(len(listed))
    expect(statements.filter(has_text="verified")).to_have_count(2)
    screenshots(page, "carbon-dashboard")


def test_devices_show_their_health_and_the_batches_anchoring_their_readings(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    api_devices = api_call(web_stack, BUYER, "GET", "/devices")
    with Session(web_stack.engine) as session:
        mine = session.exec(
            select(ReadingRow).where(ReadingRow.owner == web_stack.orgs[BUYER]["org_id"])
        ).all()
        roots = {r.batch_root for r in mine}
        anchoring = {b.tx_hash for b in session.exec(select(ReadingBatchRow)) if b.root in roots}

    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/carbon")
    page.get_by_role("navigation", name="Carbon").get_by_role("link", name="Devices & readings").click()

    rows = page.locator("table.devices tbody tr")
    expect(rows).to_have_count(len(api_devices))
    meter = page.locator(f'tr[data-device="{carbon.meters["electricity"]}"]')
    expect(meter.locator("td.health")).to_have_text("healthy")
    expect(meter).to_contain_text("electricity meter")
    expect(meter.locator("td.num").first).to_have_text("6")
    expect(page.locator(f'tr[data-device="{carbon.meters["gas"]}"] td.num').first).to_have_text("2")
    expect(page.locator(f'tr[data-device="{carbon.truck}"]')).to_have_count(0)  # fastfreight's
    shown = set(
        page.locator("table.batches [data-testid=tx-hash]").evaluate_all("es => es.map(e => e.title)")
    )
    assert shown == anchoring and all(anchoring)
    expect(page.locator(".facts")).to_contain_text("accepted")
    screenshots(page, "carbon-devices")


def test_credits_show_issued_held_and_retired_with_their_transactions(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    account = api_call(web_stack, BUYER, "GET", "/carbon/account")

    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/carbon/credits")

    expect(page.get_by_test_id("issued-kg")).to_have_text("8 kg")
    expect(page.get_by_test_id("held-kg")).to_have_text(f"{account['credits'][0]['kg']} kg")
    expect(page.get_by_test_id("retired-kg")).to_have_text(f"{account['retired_kg']} kg")
    issued = page.locator("table.issued tbody tr")
    expect(issued).to_have_count(1)
    expect(issued.get_by_test_id("tx-hash")).to_have_attribute("title", carbon.issue_tx)
    retired = page.locator("table.retired tbody tr")
    expect(retired).to_contain_text("ACME Motors plant 1")
    expect(retired.get_by_test_id("tx-hash")).to_have_attribute("title", carbon.retire_tx)
    expect(
        page.get_by_role("img", name="Carbon credits held and retired per token (kg CO2e)")
    ).to_be_visible()
    screenshots(page, "carbon-credits")


def test_an_organisation_sees_only_its_own_figures(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    assert api_call(web_stack, SUPPLIER, "GET", "/carbon/statements") == []

    sign_in(page, web_stack, SUPPLIER)
    page.goto(web_stack.url + "/carbon")

    for scope in (1, 2, 3):
        expect(page.locator(f'td[data-scope="{scope}"]')).to_have_text("0.000")
    expect(page.get_by_text("No facility statements.")).to_be_visible()
    expect(page.locator("table.facilities")).to_have_count(0)
    assert carbon.statements["facility-a"]["id"] not in page.content()
    page.goto(web_stack.url + "/carbon/devices")
    expect(page.locator("table.devices")).to_have_count(0)
    page.goto(web_stack.url + "/carbon/credits")
    expect(page.get_by_test_id("issued-kg")).to_have_text("0 kg")


def test_a_carbon_verifier_sees_every_statement_with_its_organisation(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    listed = api_call(web_stack, VERIFIER, "GET", "/carbon/statements")

    sign_in(page, web_stack, VERIFIER)
    page.goto(web_stack.url + "/carbon")

    rows = page.locator("table.statements tbody tr")
    expect(rows).to_have_count(len(listed))
    expect(rows.first).to_contain_text(web_stack.orgs[BUYER]["name"])


def test_an_organisation_without_data_reads_an_empty_dashboard(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    sign_in(page, web_stack, AUDITOR)
    page.goto(web_stack.url + "/carbon")

    expect(page.get_by_text("No emission statements yet.")).to_be_visible()
    expect(page.locator("svg")).to_have_count(0)
    expect(page.locator("table.statements")).to_have_count(0)
    page.goto(web_stack.url + "/carbon/devices")
    expect(page.get_by_text("Your organisation has no devices registered.")).to_be_visible()
    page.goto(web_stack.url + "/carbon/credits")
    expect(page.get_by_text("No credits were issued to your organisation.")).to_be_visible()


def test_the_iot_oracle_sees_the_batches_it_anchored(
    page: Page, web_stack: WebStack, carbon: CarbonData
) -> None:
    listed = api_call(web_stack, "tradeledger-iot", "GET", "/iot/batches?limit=20")

    sign_in(page, web_stack, "tradeledger-iot")
    page.goto(web_stack.url + "/carbon/devices")

    expect(page.get_by_role("heading", name="Anchored batches")).to_be_visible()
    shown = page.locator("table.batches [data-testid=tx-hash]").evaluate_all("es => es.map(e => e.title)")
    assert shown == [b["tx_hash"] for b in listed] and shown
