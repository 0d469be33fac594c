"""The indexer on a real anvil: bounded ranges, re-indexing, confirmations, reorgs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from api.db import make_engine, migrate
from api.participants.models import Organisation, OrganisationAccount
from api.participants.projection import ParticipantsProjection
from chain.client import OPERATOR
from chain.errors import ChainError
from chain.ids import to_hex32
from chain.index_models import ChainEventRow, IndexerCheckpoint
from chain.indexer import CHECKPOINT, Indexer
from chain.node import rpc
from chain.policy import OrgRole
from tests.chain.factories import make_org
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = _engine(tmp_path / "index.db")
    yield engine
    engine.dispose()


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every projected and indexed row, without surrogate keys, in a stable order."""

    def dump(model: type[SQLModel], *drop: str) -> list[dict[str, Any]]:
        with Session(engine) as session:
            rows = [r.model_dump(exclude=set(drop)) for r in session.exec(select(model)).all()]
        return sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))

    return {
        "organisations": dump(Organisation),
        "accounts": dump(OrganisationAccount, "id"),
        "events": dump(ChainEventRow, "id"),
    }


def _busy_history(h: ChainHarness) -> list[bytes]:
    """Registrations, an added and a removed account, a changed commitment, a suspension."""
    orgs = [
        make_org(h, f"idx-{i}", role)[0]
        for i, role in enumerate((OrgRole.SUPPLIER, OrgRole.FINANCIER, OrgRole.LOGISTICS))
    ]
    member = h.chain.participants("key-idx-0")
    extra = h.new_key("idx-0-extra")
    member.add_account(extra)
    member.update_legal_id_commitment(b"\x0a" * 32)
    member.remove_account(extra)
    h.chain.participants(OPERATOR).suspend_organisation(orgs[2])
    return orgs


def test_index_follows_the_chain_in_bounded_ranges(
    harness: ChainHarness, engine: Engine, tmp_path: Path
) -> None:
    orgs = _busy_history(harness)

    last = Indexer(harness.chain, engine, [ParticipantsProjection()]).sync()
    small_steps = _engine(tmp_path / "small.db")
    Indexer(harness.chain, small_steps, [ParticipantsProjection()], batch_blocks=3).sync()

    assert last == harness.chain.w3.eth.block_number
    rows = _rows(engine)
    by_id = {o["org_id"]: o for o in rows["organisations"]}
    assert by_id[to_hex32(orgs[0])]["legal_id_commitment"] == "0x" + "0a" * 32
    assert by_id[to_hex32(orgs[2])]["status"] == "suspended"
    assert [a["address"] for a in rows["accounts"] if a["org_id"] == to_hex32(orgs[0])] == [
        harness.chain.keystore.load("key-idx-0").address
    ]
    assert _rows(small_steps) == rows


def test_reindex_on_a_wiped_database_reproduces_the_same_rows(
    harness: ChainHarness, engine: Engine, tmp_path: Path
) -> None:
    _busy_history(harness)
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()])
    indexer.sync()
    before = _rows(engine)

    indexer.reindex()
    fresh = _engine(tmp_path / "fresh.db")
    Indexer(harness.chain, fresh, [ParticipantsProjection()]).sync()

    assert _rows(engine) == before
    assert _rows(fresh) == before
    assert len(before["organisations"]) >= 4  # the operator and three more


def test_a_reorg_rolls_back_orphaned_events_and_their_rows(harness: ChainHarness, engine: Engine) -> None:
    kept, _ = make_org(harness, "before-fork")
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()])
    indexer.sync()
    fork = harness.snapshot()
    orphan, _ = make_org(harness, "orphaned")
    indexer.sync()
    with Session(engine) as session:
        assert session.get(Organisation, to_hex32(orphan)) is not None

    harness.revert(fork)  # the chain drops the orphan's blocks …
    replacement, _ = make_org(harness, "replacement", OrgRole.AUDITOR)  # … and grows another branch
    rpc(harness.node.url, "evm_mine")
    indexer.sync()

    with Session(engine) as session:
        assert session.get(Organisation, to_hex32(orphan)) is None
        assert session.get(Organisation, to_hex32(kept)) is not None
        assert session.get(Organisation, to_hex32(replacement)) is not None
        names = {
            row.args
            for row in session.exec(
                select(ChainEventRow).where(ChainEventRow.name == "OrganisationRegistered")
            )
        }
        checkpoint = session.get(IndexerCheckpoint, CHECKPOINT)
    assert not any("Orphaned" in args for args in names)
    assert checkpoint is not None and checkpoint.block_number == harness.chain.w3.eth.block_number
    assert checkpoint.block_hash == harness.chain.w3.eth.get_block("latest")["hash"].to_0x_hex()


def test_confirmation_depth_holds_back_recent_blocks(harness: ChainHarness, engine: Engine) -> None:
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()], confirmations=3)
    oid, _ = make_org(harness, "unconfirmed")

    indexer.sync()
    with Session(engine) as session:
        assert session.get(Organisation, to_hex32(oid)) is None
    for _ in range(3):
        rpc(harness.node.url, "evm_mine")
    indexer.sync()

    with Session(engine) as session:
        assert session.get(Organisation, to_hex32(oid)) is not None


def test_an_index_of_another_chain_is_refused(harness: ChainHarness, engine: Engine) -> None:
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()])
    indexer.sync()
    with Session(engine) as session:
        checkpoint = session.get(IndexerCheckpoint, CHECKPOINT)
        assert checkpoint is not None
        checkpoint.chain_id = 1
        session.add(checkpoint)
        session.commit()

    with pytest.raises(ChainError, match="tradeledger reindex"):
        indexer.sync()


def test_an_index_of_another_deployment_is_rebuilt(harness: ChainHarness, engine: Engine) -> None:
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()])
    indexer.sync()
    before = _rows(engine)
    with Session(engine) as session:
        checkpoint = session.get(IndexerCheckpoint, CHECKPOINT)
        assert checkpoint is not None
        checkpoint.deployment = "0x000000000000000000000000000000000000dEaD"  # an earlier deployment's index
        session.add(checkpoint)
        leftover = {**before["organisations"][0], "org_id": "0x" + "ee" * 32}
        session.add(Organisation(**leftover))
        session.commit()

    indexer.sync()

    assert _rows(engine) == before
    with Session(engine) as session:
        checkpoint = session.get(IndexerCheckpoint, CHECKPOINT)
        assert checkpoint is not None and checkpoint.deployment == harness.manifest.address("Participants")


def test_an_account_removed_and_added_again_in_one_range_is_kept(
    harness: ChainHarness, engine: Engine, tmp_path: Path
) -> None:
    """A range's projected rows are flushed together, except a deletion, which goes first: the address
    removed is unique, and the same address added again after it in the range must not collide."""
    _, key = make_org(harness, "readded")
    member = harness.chain.participants(key)
    extra = harness.new_key("readded-extra")
    member.add_account(extra)
    member.remove_account(extra)
    member.add_account(extra)

    Indexer(harness.chain, engine, [ParticipantsProjection()]).sync()
    block_by_block = _engine(tmp_path / "steps.db")
    Indexer(harness.chain, block_by_block, [ParticipantsProjection()], batch_blocks=1).sync()

    rows = _rows(engine)
    assert [a["address"] for a in rows["accounts"] if a["address"] == extra] == [extra]
    assert _rows(block_by_block) == rows


def test_callers_waiting_on_a_sync_begun_after_them_share_it(harness: ChainHarness, engine: Engine) -> None:
    """A sync that began after a call was made serves it without asking the node again; a call made
    after the last sync began asks the node and indexes what is new."""
    indexer = Indexer(harness.chain, engine, [ParticipantsProjection()])
    asked = time.monotonic()
    reached = indexer.sync()
    asked_of_node: list[str] = []
    provider = harness.chain.w3.provider
    original = provider.make_request

    def counted(method: Any, params: Any) -> Any:
        asked_of_node.append(str(method))
        return original(method, params)

    provider.make_request = counted  # type: ignore[method-assign]
    try:
        assert indexer.sync(since=asked) == reached
        assert indexer.sync(reached, since=asked) == reached
        assert asked_of_node == []  # served by the sync begun after ``asked``
        oid, _ = make_org(harness, "after-the-sync")
        assert indexer.sync() > reached  # asked after it began: its own sync
        assert "eth_getLogs" in asked_of_node
    finally:
        provider.make_request = original  # type: ignore[method-assign]
    with Session(engine) as session:
        assert session.get(Organisation, to_hex32(oid)) is not None
