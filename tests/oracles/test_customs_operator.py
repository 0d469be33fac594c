"""Customs oracle operators end to end: a real customs feed, real keys, real anvil, a real database."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.customs.models import (
    CustomsAttestationRow,
    CustomsDeclarationRow,
    CustomsFeedCursor,
    CustomsFeedProblem,
)
from api.db import make_engine, migrate
from chain.customs_contracts import DeclarationStatus, declaration_id
from chain.ids import to_hex32
from chain.node import free_port
from chain.policy import OrgRole
from oracles.customs.authority import CustomsAuthority, serve_authority
from oracles.customs.feeds import HttpFeed, InboxFeed
from oracles.customs.operator import CustomsOperator, OperatorConfig
from tests.chain.factories import make_org
from tests.conftest import ChainHarness
from tests.oracles.test_customs_feeds import declaration

pytestmark = pytest.mark.chain
SALT_KEY = bytes(range(32))


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(f"sqlite:///{tmp_path / 'customs.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def operators(harness: ChainHarness) -> list[tuple[str, str]]:
    """Three customs oracle organisations, each with its own key: (org id hex, key name)."""
    suffix = secrets.token_hex(3)
    made = [make_org(harness, f"customs-{n}-{suffix}", OrgRole.CUSTOMS_ORACLE) for n in "abc"]
    return [(to_hex32(org), key) for org, key in made]


def operator(h: ChainHarness, engine: Engine, who: tuple[str, str], feed: Any) -> CustomsOperator:
    config = OperatorConfig(org=who[0], key=who[1], salt_key=SALT_KEY, poll_interval=0.05, max_backoff=0.2)
    return CustomsOperator(config, feed, engine, h.chain)


def filed(number: str, *statuses: str, **changes: Any) -> CustomsAuthority:
    authority = CustomsAuthority()
    authority.file(declaration(number, **changes), at="2026-03-30T08:00:00Z")
    for day, status in enumerate(statuses, start=1):
        authority.advance(number, status, at=f"2026-04-0{day}T08:00:00Z")
    return authority


def state(h: ChainHarness, number: str) -> Any:
    return h.chain.customs().declaration(declaration_id("CNSZX01", number))


def outbox(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return sorted((r.status, r.state) for r in session.exec(select(CustomsAttestationRow)))


def test_a_status_is_final_only_when_a_second_operator_agrees(
    harness: ChainHarness, engine: Engine, operators: list[tuple[str, str]]
) -> None:
    with serve_authority(filed("DEC-1", "cleared"), free_port()) as url:
        first = operator(harness, engine, operators[0], HttpFeed(url))
        first.poll_once()
        after_one = state(harness, "DEC-1")
        operator(harness, engine, operators[1], HttpFeed(url)).poll_once()
        after_two = state(harness, "DEC-1")

    assert after_one.status == DeclarationStatus.NONE
    assert after_two.status == DeclarationStatus.CLEARED
    assert not after_two.conflicted
    assert first.stats.attested == 2  # declared and cleared
    assert outbox(engine) == [("cleared", "attested")] * 2 + [("declared", "attested")] * 2
    with Session(engine) as session:
        (row,) = session.exec(select(CustomsDeclarationRow)).all()
    assert to_hex32(after_two.content_commitment) == row.commitment
    assert row.cid is not None and row.cid.startswith("bafk")  # the encrypted copy in the document store


def test_reading_the_feed_again_sends_nothing_twice(
    harness: ChainHarness, engine: Engine, operators: list[tuple[str, str]]
) -> None:
    with serve_authority(filed("DEC-2", "released"), free_port()) as url:
        worker = operator(harness, engine, operators[0], HttpFeed(url))
        worker.poll_once()
        block = harness.chain.w3.eth.block_number
        with Session(engine) as session:  # as if the cursor had never been saved (a crash)
            session.delete(session.get(CustomsFeedCursor, (operators[0][0], worker.feed.name)))
            row = session.get(
                CustomsAttestationRow,
                (operators[0][0], to_hex32(declaration_id("CNSZX01", "DEC-2")), "released"),
            )
            assert row is not None
            row.state = "pending"  # and as if the receipt had been lost after sending
            session.add(row)
            session.commit()
        worker.poll_once()

    assert harness.chain.w3.eth.block_number == block  # no transaction at all
    assert (worker.stats.attested, worker.stats.skipped) == (2, 2)
    assert outbox(engine) == [("declared", "attested"), ("released", "attested")]


def test_an_operator_survives_a_feed_outage_and_resumes_without_duplicates(
    harness: ChainHarness, engine: Engine, operators: list[tuple[str, str]], tmp_path: Path
) -> None:
    register, port = tmp_path / "authority.jsonl", free_port()
    authority = CustomsAuthority(register)
    authority.file(declaration("DEC-3"), at="2026-03-30T08:00:00Z")
    workers = [
        operator(harness, engine, who, HttpFeed(f"http://127.0.0.1:{port}", timeout=0.5))
        for who in operators[:2]
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    try:
        with serve_authority(authority, port):
            for t in threads:
                t.start()
            _wait(lambda: state(harness, "DEC-3").status == DeclarationStatus.DECLARED)
        authority.advance("DEC-3", "cleared", at="2026-04-02T08:00:00Z")  # while the feed is down
        _wait(lambda: all(w.stats.outages >= 2 for w in workers))
        with serve_authority(CustomsAuthority(register), port):
            _wait(lambda: state(harness, "DEC-3").status == DeclarationStatus.CLEARED)
    finally:
        stop.set()
        for t in threads:
            t.join(5)

    assert [w.stats.attested for w in workers] == [2, 2]
    assert [w.stats.failures for w in workers] == [0, 0]  # concurrent votes never ran out of gas
    assert outbox(engine) == [("cleared", "attested")] * 2 + [("declared", "attested")] * 2


def test_operators_reading_different_content_raise_a_conflict(
    harness: ChainHarness, engine: Engine, operators: list[tuple[str, str]]
) -> None:
    honest, altered = filed("DEC-4", "cleared"), filed("DEC-4", "cleared", declared_value="99000.00")
    with serve_authority(honest, free_port()) as url_a, serve_authority(altered, free_port()) as url_b:
        operator(harness, engine, operators[0], HttpFeed(url_a)).poll_once()
        operator(harness, engine, operators[1], HttpFeed(url_b)).poll_once()
        split = state(harness, "DEC-4")
        operator(harness, engine, operators[2], HttpFeed(url_a)).poll_once()
        settled = state(harness, "DEC-4")

    assert split.conflicted and split.status == DeclarationStatus.NONE  # 1 against 1: nothing final
    assert (
        settled.status == DeclarationStatus.CLEARED and settled.conflicted
    )  # 2 of 3, conflict still on record
    with Session(engine) as session:
        assert len(session.exec(select(CustomsDeclarationRow)).all()) == 2  # both versions kept


def test_a_malformed_declaration_is_recorded_and_nothing_is_attested(
    harness: ChainHarness, engine: Engine, operators: list[tuple[str, str]], tmp_path: Path
) -> None:
    inbox = InboxFeed(tmp_path / "inbox")
    bad = declaration("DEC-5", currency="XXQ")
    (tmp_path / "inbox" / "DEC-5.json").write_text(
        __import__("json").dumps(
            {"declaration": bad, "timeline": [{"status": "declared", "at": "2026-03-30T08:00:00Z"}]}
        )
    )
    block = harness.chain.w3.eth.block_number
    worker = operator(harness, engine, operators[0], inbox)

    worker.poll_once()

    assert harness.chain.w3.eth.block_number == block
    with Session(engine) as session:
        (problem,) = session.exec(select(CustomsFeedProblem)).all()
    assert problem.source == "DEC-5.json" and "currency" in problem.reason
    assert outbox(engine) == []
    assert (tmp_path / "inbox" / "done" / "DEC-5.json").exists()


def _wait(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
