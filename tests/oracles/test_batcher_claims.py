"""Two IoT batchers on one database (SQLite, then PostgreSQL) and one chain, each with its own account of
the oracle organisation: both anchor, every reading lands in exactly one batch, and a pending batch is
left to the instance that made it until its lease runs out."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
from eth_typing import HexStr
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from chain.policy import OrgRole
from oracles.iot.batcher import Batcher
from tests.chain.trade_factories import Party, make_party
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DEVICE = "0x" + "d1" * 32
BINDING = "0x" + "fa" * 32


def _store(engine: Engine, first: int, count: int) -> None:
    with Session(engine) as session:
        for seq in range(first, first + count):
            session.add(
                ReadingRow(
                    device_id=DEVICE,
                    owner="0x" + "01" * 32,
                    sequence=seq,
                    timestamp=1_790_000_000 + seq,
                    metric="electricity_kwh",
                    value_milli=1_000 + seq,
                    unit="kWh",
                    binding=BINDING,
                    signer="0x" + "ab" * 20,
                    signature="0x" + "cd" * 65,
                    received_at=datetime.now(UTC),
                )
            )
        session.commit()


def _second_account(h: ChainHarness, oracle: Party) -> str:
    name = f"{oracle.key}-second"
    h.chain.participants(oracle.key).add_account(h.new_key(name))
    return name


def test_two_batchers_both_anchor_and_never_batch_a_reading_twice(
    harness: ChainHarness, db_engine: Engine
) -> None:
    h = harness
    oracle = make_party(h, "iot-oracle-claims", OrgRole.IOT_ORACLE)
    keys = [oracle.key, _second_account(h, oracle)]
    batchers = [Batcher(db_engine, h.chain.carbon(key), max_size=7, max_age=0.0) for key in keys]
    total, made = 300, [[], []]  # type: ignore[var-annotated]
    assert [b.step() for b in batchers] == [[], []]  # started: the first step's recovery of everything
    _store(db_engine, 1, 100)
    done = threading.Event()

    def work(n: int) -> None:
        while not done.is_set():
            made[n].extend(batchers[n].step(force=True))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    try:
        for first in (101, 201):  # more readings arrive while both batch
            _store(db_engine, first, 100)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Session(db_engine) as session:
                loose = session.exec(select(ReadingRow.id).where(col(ReadingRow.batch_root).is_(None))).all()
                pending = session.exec(
                    select(ReadingBatchRow.root).where(ReadingBatchRow.status == "pending")
                ).all()
            if not loose and not pending:
                break
            time.sleep(0.1)
    finally:
        done.set()
        for t in threads:
            t.join(30)

    with Session(db_engine) as session:
        rows = session.exec(select(ReadingRow)).all()
        batches = {b.root: b for b in session.exec(select(ReadingBatchRow))}
    assert len(rows) == total
    assert all(b.status == "anchored" and b.tx_hash for b in batches.values())
    per_root: dict[str, int] = {}
    for row in rows:
        assert row.batch_root is not None and row.batch_root in batches
        per_root[row.batch_root] = per_root.get(row.batch_root, 0) + 1
    assert per_root == {root: b.count for root, b in batches.items()}  # each reading in exactly one batch
    assert sorted(made[0] + made[1]) == sorted(batches)  # each batch made (and anchored) by one of them
    assert made[0] and made[1]  # both instances anchored
    senders = {h.chain.w3.eth.get_transaction(HexStr(b.tx_hash or ""))["from"] for b in batches.values()}
    assert senders == {h.chain.keystore.address(key) for key in keys}
    carbon = h.chain.carbon()
    for root, batch in batches.items():
        assert carbon.call("batch", bytes.fromhex(root[2:]))[1] == batch.count  # anchored once
    for row in rows[::13]:
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
        assert carbon.verify_reading(bytes.fromhex(row.batch_root[2:]), proof, leaf_value(row))  # type: ignore[index]


def test_a_pending_batch_is_left_to_its_maker_until_the_lease_runs_out(
    harness: ChainHarness, db_engine: Engine
) -> None:
    h = harness
    oracle = make_party(h, "iot-oracle-lease", OrgRole.IOT_ORACLE)
    now = [time.time()]
    a = Batcher(db_engine, h.chain.carbon(oracle.key), max_size=10, lease=60.0, clock=lambda: now[0])
    b = Batcher(
        db_engine, h.chain.carbon(_second_account(h, oracle)), max_size=10, lease=60.0, clock=lambda: now[0]
    )
    assert b.step() == []  # b has started: its first step's recovery of every pending batch is done
    _store(db_engine, 1, 10)
    root = a._claim(force=False)  # a made the batch durable, then died before anchoring it
    assert root is not None

    def status() -> str:
        with Session(db_engine) as session:
            batch = session.get(ReadingBatchRow, root)
            assert batch is not None
            return batch.status

    assert b.step() == [] and status() == "pending"  # a may be anchoring it right now
    now[0] += 61
    assert b.step() == [root] and status() == "anchored"  # a is gone: b takes it over
    assert h.chain.carbon().call("batch", bytes.fromhex(root[2:]))[1] == 10
    fresh = Batcher(db_engine, h.chain.carbon(oracle.key), max_size=10)
    assert fresh.step() == []  # anchored already: nothing left to recover
