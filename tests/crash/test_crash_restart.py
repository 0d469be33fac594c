"""Issue 10, part 1: each process killed with SIGKILL and restarted, one at a time, under a mixed workload.

One stack of separate processes on loopback, with the commands a deployment runs: anvil dumping its
state every second (killed, it comes back at its last dump and has lost the blocks after it), the API
(``tradeledger api``), the indexer (``tradeledger indexer``), the IoT oracle (``tradeledger
oracle``), three customs oracle operators (``python -m oracles.customs``; one is killed) and a
Mosquitto of the test's own. Two traders run receivables stories (PO upload to repayment, ten writes
each) through the API's HTTP port and a publisher sends signed readings, while each process in turn
is killed and started again with the same command. Nothing is repaired by hand.

Then, after the workload stops and the stack settles:
- every write the API acknowledged is on chain, each of its transactions succeeded;
- no transaction was sent twice (no two transactions with the same sender, target and input) and no
  effect happened twice (no two events with the same name and arguments);
- every reading the oracle accepted is in exactly one anchored batch, the batches' counts add up;
- the database the processes kept equals a fresh ``tradeledger reindex`` of the chain, table by table.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select

from api.carbon.models import ReadingRow
from api.db import make_engine, migrate
from api.projections import all_projections
from api.settings import get_settings
from chain.config import network_settings
from chain.errors import ChainError
from chain.ids import org_id
from chain.index_models import ChainEventRow
from chain.indexer import Indexer
from chain.node import free_port, rpc
from chain.outbox import ABANDONED, SUPERSEDED, OutboxRow
from iot.readings import Domain
from tests.crash.services import Anvil, Service, http_ready, mosquitto, python_module, tradeledger
from tests.crash.workload import CreditTrader, Ledger, Publisher, Trader, dump
from tradeledger.demo import CUSTOMS_HANDLES, IOT_HANDLE, seed_demo
from tradeledger.fleet import demo_fleet
from tradeledger.runtime import connect_chain, deploy_if_needed, open_stack

pytestmark = [pytest.mark.chain, pytest.mark.postgres]

PARTIES = {
    "buyer": "acme-motors",
    "supplier": "shenzhen-precision",
    "carrier": "fastfreight",
    "bank": "harbour-bank",
}
KILL_ORDER = ("anvil", "api", "indexer", "iot-oracle", "customs-a", "broker")
RUN_BEFORE_KILL = float(os.environ.get("TRADELEDGER_CRASH_RUN_SECONDS", "6"))
DOWN_FOR = 1.0
REPEATABLE_EVENTS = {"Initialized", "AuthorityUpdated", "Upgraded", "Transfer", "Approval", "RoleGranted"}


class Stack:
    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.var = root / "var"
        self.database_url = database_url
        self.api_port, self.broker_port = free_port(), free_port()
        self.anvil = Anvil(self.var / "chain" / "anvil-state.json", root / "anvil.log")
        self.services: dict[str, Service | Anvil] = {"anvil": self.anvil}

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TRADELEDGER_VAR_DIR": str(self.var),
            "TRADELEDGER_DATABASE_URL": self.database_url,
            "TRADELEDGER_RPC_URL": self.anvil.url,
            "TRADELEDGER_MQTT_URL": f"mqtt://127.0.0.1:{self.broker_port}",
            "TRADELEDGER_RPC_TIMEOUT": "5",
        }

    def start_services(self, feed_url: str) -> None:
        env = {
            **self.env(),
            "TRADELEDGER_CUSTOMS_FEED_URL": feed_url,
            "TRADELEDGER_CUSTOMS_POLL_INTERVAL": "0.5",
        }
        base = f"http://127.0.0.1:{self.api_port}"
        root = self.root
        oracle = ["oracle", "--org", IOT_HANDLE, "--client-id", "crash-oracle"]
        services = [
            mosquitto(root / "broker", self.broker_port, env),
            tradeledger(
                "api",
                ["api", "--port", str(self.api_port)],
                env,
                root / "api.log",
                http_ready(f"{base}/healthz"),
            ),
            tradeledger("indexer", ["indexer", "--interval", "0.5"], env, root / "indexer.log", lambda: True),
            tradeledger(
                "iot-oracle",
                [*oracle, "--batch-size", "50", "--batch-age", "1"],
                env,
                root / "iot-oracle.log",
                lambda: True,
            ),
        ]
        for handle in CUSTOMS_HANDLES:
            key = f"org-0x{org_id(handle).hex()}"
            name = f"customs-{handle.rsplit('-', 1)[-1]}"
            operator_env = {**env, "TRADELEDGER_CUSTOMS_OPERATOR_KEY": key}
            services.append(python_module(name, "oracles.customs", operator_env, self.root / f"{name}.log"))
        for service in services:
            self.services[service.name] = service
            service.start()

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()


@pytest.fixture
def database(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh databases: the one the processes keep, and one for a fresh reindex to compare with."""
    base, _, _ = postgres_url.rpartition("/")
    names = [f"crash_{os.getpid()}_{i}_{int(time.time())}" for i in (1, 2)]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_process_killed_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path, database: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oracles.customs.authority import CustomsAuthority, serve_authority
    from tradeledger.customs_demo import run_demo_broker

    kept_url, fresh_url = database
    stack = Stack(tmp_path, kept_url)
    for name, value in stack.env().items():
        if name.startswith("TRADELEDGER_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    stop = threading.Event()
    workers: list[threading.Thread] = []
    try:
        stack.anvil.start()
        settings, network = get_settings(), network_settings()
        deploy_if_needed(connect_chain(settings, stack.anvil.url, network, load=False), lambda _: None)
        setup = open_stack(settings, stack.anvil.url)
        setup.indexer.sync()
        with Session(setup.engine) as session:
            creds = seed_demo(session, setup.chain, setup.indexer)
        devices = demo_fleet(setup, 3, interval=1)
        keys = {role: creds[handle]["api_key"] for role, handle in PARTIES.items()}
        ids = {role: creds[handle]["org_id"] for role, handle in PARTIES.items()}
        domain = Domain(setup.chain.chain_id, setup.chain.require_manifest().address("DeviceRegistry"))
        authority = CustomsAuthority(tmp_path / "customs-authority" / "events.jsonl")
        with serve_authority(authority, free_port()) as feed_url:
            stack.start_services(feed_url)
            base = f"http://127.0.0.1:{stack.api_port}"
            trader0 = Trader(base, keys, ids, Ledger(), "t0")
            ledger = trader0.ledger
            trader0.write(
                "setup",
                "deposit",
                "bank",
                "/cash/deposits",
                json={"to": ids["buyer"], "amount_minor": 10**11},
            )
            trader0.write(
                "setup",
                "deposit-bank",
                "bank",
                "/cash/deposits",
                json={"to": ids["bank"], "amount_minor": 10**11},
            )
            publisher = Publisher(stack.broker_port, devices, domain)
            keys["bank2"], ids["bank2"] = _second_bank(trader0, creds)
            names = {role: creds[PARTIES[role]]["name"] for role in ("buyer", "supplier")}
            credits = CreditTrader(
                base, keys, ids, ledger, "lc", names=names, today=lambda: _chain_today(stack.anvil.url)
            )
            jobs = [
                Trader(base, keys, ids, ledger, "t1").run,
                Trader(base, keys, ids, ledger, "t2").run,
                credits.run,
                publisher.run,
                lambda st: run_demo_broker(setup.engine, authority, st),
            ]
            for job in jobs:
                workers.append(threading.Thread(target=job, args=(stop,), daemon=True))
                workers[-1].start()

            for name in KILL_ORDER:
                stop.wait(RUN_BEFORE_KILL)
                service = stack.services[name]
                service.kill()
                time.sleep(DOWN_FOR)
                service.start()
            stop.wait(RUN_BEFORE_KILL)
            stop.set()
            for worker in workers:
                worker.join(240)
            assert not ledger.errors, dump(ledger.errors)
            assert {n: s.starts for n, s in stack.services.items() if n in KILL_ORDER} == dict.fromkeys(
                KILL_ORDER, 2
            )
            assert all(s.alive() for s in stack.services.values()), "a process died after its restart"
            _settle(stack, setup.engine)
            chain = setup.chain
            _check(chain, setup.engine, fresh_url, ledger, publisher, list(tmp_path.glob("*.log")))
    finally:
        stop.set()
        stack.stop()


def _second_bank(trader: Trader, creds: dict[str, dict[str, str]]) -> tuple[str, str]:
    """An advising bank for the letters of credit (the demo has one financier), registered by the
    consortium operator through the API; its API key and organisation id."""
    operator = next(c for c in creds.values() if c["role"] == "operator")
    trader.keys["operator"] = operator["api_key"]
    body = {
        "handle": "crash-advising-bank",
        "name": "Advising Bank",
        "role": "financier",
        "legal_id": "LEI-ADV",
    }
    created = trader.write("setup", "bank2", "operator", "/organisations", json=body)
    return created["api_key"], created["organisation"]["id"]


def _chain_today(url: str) -> date:
    """The chain's date (its latest block's), waiting while the node is down (it is killed too)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            block = rpc(url, "eth_getBlockByNumber", ["latest", False])
            return datetime.fromtimestamp(int(block["timestamp"], 16), UTC).date()  # type: ignore[index]
        except ChainError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _settle(stack: Stack, engine: Engine, timeout: float = 120.0) -> None:
    """Wait until the oracle has anchored every reading it accepted and the indexer reached the head."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            unanchored = session.exec(select(ReadingRow).where(ReadingRow.batch_root == None)).first()  # noqa: E711
            checkpoint = session.exec(text("SELECT block_number FROM indexer_checkpoints")).first()
        if unanchored is None and checkpoint is not None and checkpoint[0] >= _head(stack.anvil.url):
            time.sleep(2)  # the last anchor's receipt and index step
            return
        time.sleep(0.5)
    raise AssertionError("the stack did not settle within 120 s (readings unanchored or index behind)")


def _head(url: str) -> int:
    return int(str(rpc(url, "eth_blockNumber")), 16)


def _check(
    chain: Any, engine: Engine, fresh_url: str, ledger: Ledger, publisher: Publisher, logs: list[Path]
) -> None:
    w3 = chain.w3
    # acknowledged writes: every transaction they named is on chain and succeeded
    credits = [s for s in ledger.completed if s.startswith("lc-")]
    assert len(ledger.completed) - len(credits) >= 2 and credits, (
        f"too few stories completed: {ledger.completed}"
    )
    missing = []  # a carrier booking is an authorisation fact in the database, not a transaction
    for (story, step), hashes in ledger.acknowledged.items():
        assert hashes or step == "book", f"{story} {step} was acknowledged without naming a transaction"
        for tx in hashes:
            receipt = w3.provider.make_request("eth_getTransactionReceipt", [tx]).get("result")
            if not receipt or int(receipt["status"], 16) != 1:
                missing.append((story, step, tx))
    assert not missing, f"acknowledged but not on chain: {missing}"

    # no transaction sent twice: no two with the same sender, target and input
    sent: Counter[tuple[str, str, str]] = Counter()
    for number in range(int(w3.eth.block_number) + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            sent[(tx["from"], str(tx.get("to")), bytes(tx["input"]).hex())] += 1
    twice = [k for k, n in sent.items() if n > 1]
    assert not twice, f"{len(twice)} transactions were sent twice"

    # a fresh reindex into an empty database
    fresh = make_engine(fresh_url)
    migrate(fresh)
    Indexer(chain, fresh, all_projections()).reindex()
    with Session(fresh) as session:
        events = session.exec(select(ChainEventRow)).all()
    # every business event names its object (order, document, receivable, financing, batch, declaration),
    # and the workload never repeats one; cash transfers and deployment events legitimately repeat
    effects = Counter((e.address, e.name, e.args) for e in events if e.name not in REPEATABLE_EVENTS)
    twice_done = [k for k, n in effects.items() if n > 1]
    assert not twice_done, f"effects that happened twice: {twice_done}"

    # the customs operators attested through the kill of one of them, and declarations became final
    names = Counter(e.name for e in events)
    assert names["CustomsAttestationRecorded"] > 0 and names["DeclarationStatusFinalised"] > 0, names

    # every accepted reading is in exactly one anchored batch
    anchored = Counter(json.loads(e.args)["root"] for e in events if e.name == "ReadingBatchAnchored")
    counts = {
        json.loads(e.args)["root"]: int(json.loads(e.args)["count"])
        for e in events
        if e.name == "ReadingBatchAnchored"
    }
    with Session(engine) as session:
        readings = session.exec(select(ReadingRow)).all()
    assert readings, "no reading was accepted"
    per_root = Counter(r.batch_root for r in readings)
    assert set(per_root) <= set(anchored), "accepted readings whose batch is not on chain"
    assert all(anchored[root] == 1 for root in per_root)
    assert all(counts[root] == n for root, n in per_root.items())

    # the kept database equals the fresh reindex, table by table
    tables = [ChainEventRow.__table__] + [t.__table__ for p in all_projections() for t in p.tables]  # type: ignore[attr-defined]
    for table in tables:
        columns = [c.name for c in table.columns if c.name != "id"]
        order = ", ".join(columns)
        query = text(f"SELECT {order} FROM {table.name} ORDER BY {order}")
        with engine.connect() as kept_db, fresh.connect() as fresh_db:
            kept_rows, fresh_rows = kept_db.execute(query).all(), fresh_db.execute(query).all()
        assert kept_rows == fresh_rows, f"{table.name} differs from a fresh reindex"

    # the outbox lost nothing
    with Session(engine) as session:
        superseded = session.exec(select(OutboxRow).where(OutboxRow.state == SUPERSEDED)).all()
        abandoned = session.exec(select(OutboxRow).where(OutboxRow.state == ABANDONED)).all()
    assert not superseded, f"journaled transactions whose nonce was taken: {[r.tx_hash for r in superseded]}"
    sent_again = sum(log.read_text().count("the node had lost it") for log in logs)
    assert sent_again > 0, "no process sent a lost transaction again: the node lost none?"
    print(  # the figures behind the pass, in the test log
        f"stories completed {len(ledger.completed)} ({len(credits)} letters of credit), "
        f"in doubt {len(ledger.in_doubt)} {ledger.in_doubt}, "
        f"writes acknowledged {len(ledger.acknowledged)}, retries {ledger.retries}, readings published "
        f"{publisher.published} (again {publisher.republished}), accepted {len(readings)} in {len(per_root)} "
        f"batches, customs attestations {names['CustomsAttestationRecorded']}, "
        f"transactions {sum(sent.values())}, sent again after the node lost them {sent_again}, "
        f"abandoned in the outbox {len(abandoned)}"
    )
    _ = SQLModel  # every table is registered through api.models
