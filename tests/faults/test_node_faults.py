"""Network faults between the API and the node: a fault-injecting proxy sits on the API's chain link.

The contracts are deployed straight to anvil (the session's ``deployed`` chain); the API under test gets a
``Chain`` whose every JSON-RPC call crosses ``FaultProxy``. Effects are counted on the direct link:
events since the block before the write, and the signing key's nonce.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from httpx import Response
from sqlmodel import Session, col, select

from api.db import make_engine, migrate
from api.documents.models import StoredDocument
from api.orders.models import OrderRow
from chain.client import Chain, connect_web3, org_key_name
from chain.config import rpc_timeout
from chain.errors import ConfigurationError
from chain.ids import from_hex32
from tests.api.trade_stack import PO_CSV, TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness
from tests.faults.proxy import FaultProxy

# One database (SQLite) is enough: the faults are on the chain link. A short RPC timeout: a blackhole
# costs 2 s.
pytestmark = pytest.mark.chain
RPC_TIMEOUT = 2.0


@dataclass
class Faulty:
    stack: TradeStack
    proxy: FaultProxy
    direct: Chain  # the harness's own link to anvil, with no proxy in between

    def upload_po(self, po: str, key: str | None = None) -> Response:
        headers = {"Content-Type": "text/csv", **({"Idempotency-Key": key} if key else {})}
        return self.stack.call(
            "buyer",
            "POST",
            f"/purchase-orders?supplier={self.stack.ids['supplier']}",
            content=PO_CSV.format(po=po),
            headers=headers,
        )

    def head(self) -> int:
        return int(self.direct.w3.eth.block_number)

    def events_since(self, block: int) -> Counter[str]:
        if self.head() <= block:
            return Counter()
        decoder = self.direct.event_decoder()
        logs = self.direct.w3.eth.get_logs(
            {"fromBlock": block + 1, "toBlock": "latest", "address": decoder.addresses}  # type: ignore[typeddict-item]
        )
        return Counter(e.name for e in map(decoder.decode, logs) if e is not None)  # type: ignore[arg-type]

    def nonce(self, who: str) -> int:
        address = self.direct.keystore.load(org_key_name(from_hex32(self.stack.ids[who]))).address
        return int(self.direct.w3.eth.get_transaction_count(address))

    def stored(self, po: str) -> tuple[int, int]:
        """(documents numbered ``po``, orders with such a document) in the database."""
        with Session(self.stack.engine) as session:
            docs = session.exec(select(StoredDocument).where(StoredDocument.number == po)).all()
            ids = [d.doc_id for d in docs]
            return len(docs), len(
                session.exec(select(OrderRow).where(col(OrderRow.document_id).in_(ids))).all()
            )


@pytest.fixture(scope="module")
def stack_over_proxy(deployed: ChainHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    """One API over the proxy for the module (registering the consortium is the slow part); the chain is
    rolled back at the end. Each test uploads its own purchase order, so they do not meet."""
    env = pytest.MonkeyPatch()
    env.setenv("TRADELEDGER_RPC_TIMEOUT", str(RPC_TIMEOUT))
    snapshot = deployed.snapshot()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('faults') / 'index.db'}")
    migrate(engine)
    port = urlparse(deployed.node.url).port
    assert port is not None
    try:
        with FaultProxy(port) as proxy:
            direct = deployed.chain
            proxied = Chain(
                connect_web3(proxy.url),
                direct.network,
                direct.keystore,
                manifest=deployed.manifest,
                artifacts=direct.artifacts,
            )
            stack = start_stack(ChainHarness(deployed.node, proxied, deployed.manifest), engine)
            with stack.client:
                yield Faulty(stack, proxy, direct)
    finally:
        engine.dispose()
        deployed.revert(snapshot)
        env.undo()


@pytest.fixture
def faulty(stack_over_proxy: Faulty) -> Iterator[Faulty]:
    """The module's stack with a healed proxy, healed again afterwards."""
    stack_over_proxy.proxy.heal()
    stack_over_proxy.proxy.lost.clear()
    yield stack_over_proxy
    stack_over_proxy.proxy.heal()


def problem(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code, response.text


# --- 1. retries never duplicate an effect ------------------------------------------------------


def test_a_lost_answer_to_a_send_is_found_by_hash_and_the_write_happens_once(faulty: Faulty) -> None:
    f = faulty
    block, nonce = f.head(), f.nonce("buyer")
    f.proxy.reset_response_of("eth_sendRawTransaction", times=2)  # the anchor's and the order's

    first = f.upload_po("PO-LOST", key="po-lost")

    assert first.status_code == 201, first.text
    assert f.proxy.lost == ["eth_sendRawTransaction"] * 2  # both answers really were lost
    assert f.events_since(block) == Counter({"DocumentAnchored": 1, "OrderRegistered": 1})
    assert f.nonce("buyer") == nonce + 2

    again = f.upload_po("PO-LOST", key="po-lost")  # the client did not hear either: it retries

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert f.events_since(block) == Counter({"DocumentAnchored": 1, "OrderRegistered": 1})
    assert f.nonce("buyer") == nonce + 2
    assert f.stored("PO-LOST") == (1, 1)


def test_resets_while_polling_receipts_are_retried_and_the_write_happens_once(faulty: Faulty) -> None:
    f = faulty
    block, nonce = f.head(), f.nonce("buyer")
    f.proxy.reset_response_of("eth_getTransactionReceipt", times=3)

    response = f.upload_po("PO-POLL")

    assert response.status_code == 201, response.text
    assert f.proxy.lost == ["eth_getTransactionReceipt"] * 3
    assert f.events_since(block) == Counter({"DocumentAnchored": 1, "OrderRegistered": 1})
    assert f.nonce("buyer") == nonce + 2
    assert f.stored("PO-POLL") == (1, 1)


def _ambiguous_upload(f: Faulty, po: str) -> tuple[int, int]:
    """The anchor's send arrives, its answer and every look-up by hash are lost: the API cannot know."""
    block, nonce = f.head(), f.nonce("buyer")
    f.proxy.reset_response_of("eth_sendRawTransaction")
    f.proxy.reset_response_of("eth_getTransactionByHash", times=5)  # web3 tries a read five times

    problem(f.upload_po(po, key=f"{po}-key"), 503, "chain_unavailable")

    assert f.events_since(block) == Counter({"DocumentAnchored": 1})  # it did arrive
    assert f.nonce("buyer") == nonce + 1
    assert f.stored(po) == (0, 0)
    f.proxy.heal()
    return block, nonce


def test_an_unknowable_outcome_is_a_503_and_the_retry_duplicates_nothing(faulty: Faulty) -> None:
    f = faulty
    block, nonce = _ambiguous_upload(f, "PO-AMBIG")

    retry = f.upload_po("PO-AMBIG", key="PO-AMBIG-key")

    assert retry.status_code < 500, retry.text  # an answer, and the chain refuses to do it twice
    assert retry.headers["content-type"].startswith("application/problem+json")
    assert f.events_since(block)["DocumentAnchored"] == 1
    assert f.events_since(block)["OrderRegistered"] <= 1
    assert f.nonce("buyer") == nonce + 1 + f.events_since(block)["OrderRegistered"]
    assert f.upload_po("PO-AFTER-AMBIG").status_code == 201  # the sender read its nonce again


@pytest.mark.xfail(
    strict=True,
    reason="open finding: a PO upload (anchor, then register) whose anchor landed without an answer "
    "cannot be completed by a retry: the document's salt was never stored, and the retry's new anchor is "
    "refused with 409 document_already_anchored; needs a write outbox (signed transactions and off-chain "
    "payloads stored before sending)",
)
def test_a_retry_after_an_unknowable_outcome_completes_the_write(faulty: Faulty) -> None:
    f = faulty
    block, _ = _ambiguous_upload(f, "PO-RESUME")

    retry = f.upload_po("PO-RESUME", key="PO-RESUME-key")

    assert retry.status_code == 201, retry.text
    assert f.events_since(block) == Counter({"DocumentAnchored": 1, "OrderRegistered": 1})


# --- 2. reads stay fast when the node is slow --------------------------------------------------


def test_indexed_reads_stay_fast_with_half_a_second_on_the_node_link(faulty: Faulty) -> None:
    f, s = faulty, faulty.stack
    order_id = delivered_order(s, "PO-SLOW")
    rid = s.post("supplier", "/invoices", invoice_body(order_id), expect=201)["id"]
    reads = [
        ("supplier", "/receivables"),
        ("supplier", f"/receivables/{rid}"),
        ("buyer", "/purchase-orders"),
        ("buyer", f"/purchase-orders/{order_id}"),
        ("buyer", f"/receivables/{rid}"),
    ]

    def timed(rounds: int) -> dict[str, list[float]]:
        timings: dict[str, list[float]] = {path: [] for _, path in reads}
        for _ in range(rounds):
            for who, path in reads:
                start = time.perf_counter()
                s.get(who, path)
                timings[path].append(time.perf_counter() - start)
        return timings

    def p95(timings: dict[str, list[float]]) -> float:
        return statistics.quantiles([t for ts in timings.values() for t in ts], n=20)[-1]

    baseline = timed(4)  # the same reads on a healthy link, to tell a slow node from a busy machine
    f.proxy.faults.latency = 0.5
    slow = timed(10)

    # Every node call now costs >= 0.5 s, so a read that makes one can never be faster than that.
    assert {path: min(ts) < 0.5 for path, ts in slow.items()} == {path: True for path in slow}
    # The target: p95 < 200 ms; on a machine too busy for that even without the fault, no worse than it.
    assert p95(slow) < max(0.2, 2 * p95(baseline)), (
        f"p95 {p95(slow) * 1000:.0f} ms, {p95(baseline) * 1000:.0f} ms healthy"
    )
    start = time.perf_counter()  # the contrast: a read that asks the node pays the latency
    assert s.client.get("/healthz").status_code == 200
    assert time.perf_counter() - start >= 0.5


# --- 3. clear errors, not hangs, when the node is down ----------------------------------------


@pytest.mark.parametrize("fault", ["blackhole", "refuse"])
def test_a_write_to_an_unreachable_node_is_a_quick_503_and_heals_by_itself(
    faulty: Faulty, fault: str
) -> None:
    f = faulty
    block = f.head()
    if fault == "blackhole":
        f.proxy.faults.blackhole = True
    else:
        f.proxy.refuse()

    start = time.perf_counter()
    response = f.upload_po(f"PO-DOWN-{fault}")
    elapsed = time.perf_counter() - start

    problem(response, 503, "chain_unavailable")
    assert elapsed < 15, f"{elapsed:.1f} s"
    assert f.stored(f"PO-DOWN-{fault}") == (0, 0)
    assert f.events_since(block) == Counter()
    health = f.stack.client.get("/healthz")
    assert health.status_code == 503 and health.json()["chain"].startswith("error"), health.text
    assert health.json()["database"] == "ok"

    f.proxy.heal()

    assert f.upload_po(f"PO-DOWN-{fault}").status_code == 201
    assert f.events_since(block) == Counter({"DocumentAnchored": 1, "OrderRegistered": 1})
    assert f.stack.client.get("/healthz").status_code == 200


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_the_rpc_timeout_setting_refuses_what_is_not_a_positive_number(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADELEDGER_RPC_TIMEOUT", raw)

    with pytest.raises(ConfigurationError, match="TRADELEDGER_RPC_TIMEOUT"):
        rpc_timeout()
    monkeypatch.setenv("TRADELEDGER_RPC_TIMEOUT", "2.5")
    assert rpc_timeout() == 2.5
