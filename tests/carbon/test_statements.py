"""Statements from anchored readings, submitted on chain and verified by recomputation (real anvil)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.carbon.emissions import ZERO, load_factor_set
from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from api.carbon.service import ensure_factor_set, submit_statement, verify_statement
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.errors import Conflict
from chain.merkle import StandardMerkleTree
from tests.api.trade_stack import CARBON_PARTIES, TradeStack, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
FACTORS = load_factor_set()


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, CARBON_PARTIES)
    with s.client:
        yield s


def _anchored_readings(s: TradeStack, values_milli: list[int], start: int = 1_000) -> None:
    """The supplier's electricity readings, one a second from ``start`` (also their sequence numbers)."""
    rows = [
        ReadingRow(
            device_id="0x" + "44" * 32,
            owner=s.ids["supplier"],
            sequence=start + i,
            timestamp=start + i,
            metric="electricity_kwh",
            value_milli=v,
            unit="kWh",
            binding="0x" + "aa" * 32,
            signer="0x" + "00" * 20,
            signature="0x",
            received_at=datetime.now(UTC),
        )
        for i, v in enumerate(values_milli)
    ]
    tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
    root = "0x" + tree.root.hex()
    s.harness.chain.carbon(f"org-{s.ids['oracle']}").anchor_readings(
        tree.root, len(rows), start, start + len(rows)
    )
    with Session(s.engine) as session:
        for i, row in enumerate(rows):
            row.batch_root, row.proof = root, json.dumps(["0x" + p.hex() for p in tree.proof(i)])
            session.add(row)
        session.add(
            ReadingBatchRow(
                root=root,
                count=len(rows),
                period_start=start,
                period_end=start + len(rows),
                status="anchored",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()


def test_a_statement_is_computed_submitted_and_verified_by_recomputation(stack: TradeStack) -> None:
    s, chain = stack, stack.harness.chain
    _anchored_readings(s, [10_000, 2_500, 7_500])  # 20 kWh
    assert ensure_factor_set(chain, FACTORS) and not ensure_factor_set(chain, FACTORS)

    with Session(s.engine) as session:
        statement_id, statement = submit_statement(
            chain, session, s.ids["supplier"], FACTORS, scope=2, period=(0, 2_000), region="CN", subject=ZERO
        )
        recomputed = verify_statement(chain, session, s.ids["verifier"], statement_id, FACTORS, region="CN")

    assert statement.grams == recomputed.grams == 10_732  # 20 kWh x 536.6 g
    on_chain = chain.carbon().call("statement", statement_id)
    assert (on_chain[2], on_chain[5]) == (2, 10_732)  # verified, grams


def test_a_statement_that_does_not_recompute_is_not_verified(stack: TradeStack) -> None:
    s, chain = stack, stack.harness.chain
    _anchored_readings(s, [10_000])
    ensure_factor_set(chain, FACTORS)
    with Session(s.engine) as session:
        statement_id, _ = submit_statement(
            chain, session, s.ids["supplier"], FACTORS, scope=2, period=(0, 2_000), region="CN", subject=ZERO
        )
        row = session.exec(select(ReadingRow)).one()
        row.value_milli = 1  # the off-chain copy no longer matches what was stated
        session.add(row)
        session.commit()

        with pytest.raises(Conflict) as err:
            verify_statement(chain, session, s.ids["verifier"], statement_id, FACTORS, region="CN")

    assert err.value.code == "statement_mismatch"
    assert chain.carbon().call("statement", statement_id)[2] == 1  # still only submitted
