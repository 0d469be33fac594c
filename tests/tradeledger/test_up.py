"""``tradeledger up`` end to end: starts, serves the demo consortium, stops on Ctrl-C, resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.config import project_root
from chain.node import free_port

pytestmark = pytest.mark.chain


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tradeledger.cli", "up"]
    out = log.open("ab")
    return subprocess.Popen(command, cwd=project_root(), env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            response = httpx.get(f"{base}/healthz", timeout=1)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the stack did not become healthy:\n" + log.read_text())


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def test_up_serves_the_demo_consortium_and_a_second_run_resumes_it(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TRADELEDGER_VAR_DIR": str(tmp_path / "var"),
        "TRADELEDGER_ANVIL_PORT": str(free_port()),
        "TRADELEDGER_API_PORT": str(port),
        "TRADELEDGER_ENVIRONMENT": "development",
        "COLUMNS": "200",
        # this run's own group and session: no other oracle session on the broker may take a share
        "TRADELEDGER_IOT_GROUP": f"test-up-{port}",
        "TRADELEDGER_IOT_CLIENT_ID": f"test-up-{port}",
        "TRADELEDGER_EMBEDDED_MQTT_PORT": str(free_port()),
        "TRADELEDGER_SIMULATOR_RATE": "5",
        "TRADELEDGER_CUSTOMS_AUTHORITY_PORT": str(free_port()),
    }
    for name in (
        "TRADELEDGER_DATABASE_URL",
        "DATABASE_URL",
        "TRADELEDGER_RPC_URL",
        "TRADELEDGER_NETWORK",
        "TRADELEDGER_MQTT_URL",  # the embedded broker, as on a fresh machine
        "TRADELEDGER_CUSTOMS_FEED_URL",  # the embedded customs authority
    ):
        env.pop(name, None)
    base, log = f"http://127.0.0.1:{port}", tmp_path / "up.log"

    first = _start(env, log)
    try:
        health = _wait_healthy(base, first, log)
        credentials = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
        key = credentials["acme-motors"]["api_key"]
        orgs = httpx.get(f"{base}/api/v1/organisations", headers={"Authorization": f"Bearer {key}"}).json()
        web = httpx.post(
            f"{base}/login", data={"api_key": key}, headers={"Origin": base}, follow_redirects=True
        )
        deadline = time.monotonic() + 60  # the demo simulator -> embedded broker -> oracle, unprompted
        ingestion: dict[str, int] = {}
        while time.monotonic() < deadline and ingestion.get("accepted", 0) < 6:
            ingestion = httpx.get(
                f"{base}/api/v1/iot/ingestion", headers={"Authorization": f"Bearer {key}"}
            ).json()
            time.sleep(0.5)
        assert ingestion.get("accepted", 0) >= 6 and not any(k.startswith("rejected") for k in ingestion), (
            ingestion,
            log.read_text(),
        )
    finally:
        code = _stop(first)
    manifest = next((tmp_path / "var" / "deployments").glob("*.json")).read_text()

    assert code == 0, log.read_text()
    assert "stopped; state saved." in log.read_text()
    assert "embedded amqtt" in log.read_text() and "demo simulator publishing" in log.read_text()
    assert "embedded customs authority" in log.read_text()
    assert "3 oracle operators attesting, final at 2 of them" in log.read_text()
    assert key in log.read_text()  # the demo keys are printed
    assert f"{base}/ (sign in with an API key)" in log.read_text()  # in the table `up` prints
    assert web.status_code == 200 and "<h1>ACME Motors</h1>" in web.text  # the web UI, signed in
    assert {o["name"] for o in orgs} == {
        "Consortium Operator",
        "ACME Motors",
        "Shenzhen Precision Parts",
        "Harbour Bank",
        "FastFreight Logistics",
        "Dongguan Castings",
        "TradeLedger IoT Oracle",
        "GreenVerify Assurance",
        "Ledger Audit & Co",
        "Customs Oracle A (port data)",
        "Customs Oracle B (single window)",
        "Customs Oracle C (broker network)",
    }

    second = _start(env, log)
    try:
        again = _wait_healthy(base, second, log)
        orgs_again = httpx.get(f"{base}/api/v1/organisations", headers={"Authorization": f"Bearer {key}"})
    finally:
        assert _stop(second) == 0

    assert orgs_again.json() == orgs  # same organisations, same key still valid
    assert again["chain"]["head_block"] >= health["chain"]["head_block"]
    manifest_again = next((tmp_path / "var" / "deployments").glob("*.json")).read_text()
    assert manifest_again == manifest  # nothing redeployed
