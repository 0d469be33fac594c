"""The mixed workload through the API's HTTP port (receivables stories, letters of credit) and signed
device readings over MQTT.

Every write carries an ``Idempotency-Key``. A write whose answer is lost (the API or the node went
away) is retried with the same key until it answers; what a 2xx acknowledged is recorded with
every transaction hash it names. A story whose retried step is refused after an unknown outcome
(409 ``request_outcome_unknown``: the first attempt's transaction reached the node but its answer
was lost) is counted as in doubt and abandoned: its effect must then be on chain at most once,
which the test checks for every transaction.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from iot.readings import Domain, Reading, sign_reading, to_payload
from iot.simulator import SimulatedDevice
from iot.topics import readings_topic

PO_CSV = """po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price
{po},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,10,EA,"100.00"
"""
LINES = [{"po_line_no": 1, "item": "BRK-220", "quantity": "10", "unit": "EA"}]
FACE_VALUE = 100_000  # 10 × 100.00 in cents
RETRYABLE = {502, 503, 504}


class InDoubt(Exception):
    """A retried write was refused after an unknown first outcome: the story stops here."""


@dataclass
class Ledger:
    """What the API acknowledged: (story, step) -> the transaction hashes its answer named."""

    acknowledged: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    in_doubt: list[tuple[str, str, int, str]] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def tx_hashes(value: Any) -> list[str]:
    """Every ``tx_hash`` (or ``…_tx``) an answer names, at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key == "tx_hash" or key.endswith("_tx")) and len(item) == 66:
                found.append(item)
            else:
                found += tx_hashes(item)
    elif isinstance(value, list):
        for item in value:
            found += tx_hashes(item)
    return found


class Trader:
    """Runs receivables stories one after another until ``stop``: PO to repayment, ten writes each."""

    def __init__(
        self, base: str, keys: dict[str, str], ids: dict[str, str], ledger: Ledger, name: str
    ) -> None:
        self.base, self.keys, self.ids, self.ledger, self.name = base, keys, ids, ledger, name
        self.client = httpx.Client(base_url=f"{base}/api/v1", timeout=60.0)

    def write(self, story: str, step: str, who: str, path: str, **kwargs: Any) -> dict[str, Any]:
        key, doubt, deadline = str(uuid.uuid4()), False, time.monotonic() + 180
        headers = {"Authorization": f"Bearer {self.keys[who]}", "Idempotency-Key": key}
        headers.update(kwargs.pop("headers", {}))
        while True:
            try:
                response = self.client.post(path, headers=headers, **kwargs)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code < 300:
                body = dict(response.json())
                with self.ledger.lock:
                    self.ledger.acknowledged[(story, step)] = tx_hashes(body)
                return body
            if response is not None and response.status_code not in RETRYABLE:
                if doubt and response.status_code in (409, 422):
                    with self.ledger.lock:
                        self.ledger.in_doubt.append((story, step, response.status_code, response.text[:300]))
                    raise InDoubt(step)
                raise AssertionError(f"{story} {step}: {response.status_code} {response.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{story} {step}: no answer within 180 s")
            doubt = True
            with self.ledger.lock:
                self.ledger.retries += 1
            time.sleep(0.5)

    def story(self, number: int) -> None:
        s, ids = f"{self.name}-{number}", self.ids
        po = f"PO-{s}"
        order = self.write(
            s, "upload", "buyer", f"/purchase-orders?supplier={ids['supplier']}",
            content=PO_CSV.format(po=po), headers={"Content-Type": "text/csv"},
        )  # fmt: skip
        oid = order["id"]
        self.write(
            s,
            "book",
            "supplier",
            f"/purchase-orders/{oid}/carrier-bookings",
            json={"carrier": ids["carrier"]},
        )
        shipment = {
            "bl_number": f"BL-{s}", "port_of_loading": "CNSZX", "port_of_discharge": "NLRTM",
            "shipped_on_board_at": "2026-04-01T06:00:00Z", "lines": LINES,
        }  # fmt: skip
        self.write(s, "ship", "carrier", f"/purchase-orders/{oid}/shipments", json=shipment)
        receipt = {"receipt_number": f"GR-{s}", "received_at": "2026-04-18T09:30:00+02:00", "lines": LINES}
        self.write(s, "receive", "buyer", f"/purchase-orders/{oid}/goods-receipts", json=receipt)
        invoice = {
            "order_id": oid, "invoice_number": f"INV-{s}", "currency": "USD", "issue_date": "2026-04-20",
            "due_date": "2099-07-19", "lines": [{**LINES[0], "unit_price": "100.00"}],
        }  # fmt: skip
        rid = self.write(s, "invoice", "supplier", "/invoices", json=invoice)["id"]
        self.write(s, "confirm", "buyer", f"/receivables/{rid}/confirm", json={})
        request = self.write(
            s,
            "request",
            "supplier",
            f"/receivables/{rid}/financing-requests",
            json={"min_advance_minor": 90_000},
        )
        offer = {"advance_minor": 95_000, "discount_bps": 300, "tenor_days": 60, "recourse": True}
        self.write(s, "offer", "bank", f"/financing-requests/{request['id']}/offers", json=offer)
        self.write(
            s,
            "accept",
            "supplier",
            f"/financing-requests/{request['id']}/accept",
            json={"financier": ids["bank"]},
        )
        self.write(s, "repay", "buyer", f"/receivables/{rid}/repayments", json={"amount_minor": FACE_VALUE})
        with self.ledger.lock:
            self.ledger.completed.append(s)

    def run(self, stop: threading.Event) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                self.story(number)
            except InDoubt:
                continue
            except Exception as exc:  # the test fails on it, after the stack is stopped
                with self.ledger.lock:
                    self.ledger.errors.append(f"{self.name}: {exc}")
                return


class CreditTrader(Trader):
    """Letters of credit one after another: apply, issue, advise, present, examine, then honour or refuse
    as the UCP 600 report says (six writes each). Names and dates are the demo's and the chain's."""

    def __init__(self, *args: Any, names: dict[str, str], today: Callable[[], date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names, self.today = names, today

    def story(self, number: int) -> None:
        s, ids, today = f"{self.name}-{number}", self.ids, self.today()
        terms = {
            "number": f"LC-{s}", "issuing_bank": ids["bank"], "advising_bank": ids["bank2"],
            "beneficiary": ids["supplier"], "currency": "USD", "amount": 100_000, "amount_tolerance_pct": "5",
            "goods_description": "Brake discs, cast iron",
            "expiry_date": (today + timedelta(days=60)).isoformat(),
            "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
            "partial_shipments_allowed": False, "port_of_loading": "CNSZX", "port_of_discharge": "NLRTM",
            "incoterm": "FOB",
        }  # fmt: skip
        cid = self.write(s, "lc-apply", "buyer", "/letters-of-credit", json=terms)["id"]
        self.write(s, "lc-issue", "bank", f"/letters-of-credit/{cid}/issue")
        self.write(s, "lc-advise", "bank2", f"/letters-of-credit/{cid}/advise")
        shipped = (today - timedelta(days=2)).isoformat()
        documents = {
            "amount_minor": 100_000,
            "invoice": {
                "issuer": self.names["supplier"], "addressed_to": self.names["buyer"], "currency": "USD",
                "amount": 100_000, "goods_description": "Brake discs, cast iron", "issue_date": shipped,
            },
            "bills_of_lading": [{
                "shipper": self.names["supplier"], "port_of_loading": "CNSZX", "port_of_discharge": "NLRTM",
                "shipped_on_board_date": shipped, "issue_date": shipped, "goods_description": "Brake discs",
            }],
        }  # fmt: skip
        pid = self.write(
            s, "lc-present", "supplier", f"/letters-of-credit/{cid}/presentations", json=documents
        )["id"]
        examined = self.write(s, "lc-examine", "bank", f"/letters-of-credit/presentations/{pid}/examine")
        decision = "honour" if examined["report"]["status"] == "complying" else "refuse"
        self.write(s, f"lc-{decision}", "bank", f"/letters-of-credit/presentations/{pid}/{decision}")
        with self.ledger.lock:
            self.ledger.completed.append(s)


@dataclass
class Publisher:
    """Publishes signed readings (QoS 1) round-robin from ``devices``; a reading the broker did not
    acknowledge is published again, the same bytes, once it is back."""

    broker_port: int
    devices: list[SimulatedDevice]
    domain: Domain
    rate: float = 20.0
    published: int = 0
    republished: int = 0

    def run(self, stop: threading.Event) -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"crash-publisher-{uuid.uuid4().hex[:6]}")
        client.reconnect_delay_set(0.2, 2)
        client.connect_async("127.0.0.1", self.broker_port)
        client.loop_start()
        sequence = {d.device_id: int(time.time() * 1000) for d in self.devices}
        try:
            while not stop.is_set():
                for device in self.devices:
                    sequence[device.device_id] += 1
                    reading = Reading(
                        device.device_id, sequence[device.device_id], int(time.time()),
                        "electricity_kwh", 1000, "kWh", device.binding,
                    )  # fmt: skip
                    payload = to_payload(reading, sign_reading(device.key, self.domain, reading))
                    self._publish(client, readings_topic(device.owner, device.device_id), payload, stop)
                    self.published += 1
                stop.wait(len(self.devices) / self.rate)
        finally:
            client.loop_stop()
            client.disconnect()

    def _publish(self, client: mqtt.Client, topic: str, payload: bytes | str, stop: threading.Event) -> None:
        first = True
        while not stop.is_set():
            if not first:
                self.republished += 1
            first = False
            if not client.is_connected():
                time.sleep(0.2)
                continue
            info = client.publish(topic, payload, qos=1)
            try:
                info.wait_for_publish(3)
            except (RuntimeError, ValueError):
                continue
            if info.is_published():
                return


def dump(value: Any) -> str:
    return json.dumps(value, default=str, indent=1)
