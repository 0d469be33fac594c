"""Hostile customs attestations through the customs oracle operators and the contract: an operator's
signed attestation replayed, an older status after a newer one, a suspended operator, a revoked
operator key and a key of no customs oracle. All refused, and the declaration unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.customs.models import CustomsAttestationRow
from chain.client import OPERATOR
from chain.customs_contracts import CustomsAttestation, DeclarationStatus, declaration_id
from chain.ids import from_hex32, to_hex32
from chain.policy import OrgRole
from oracles.customs.feeds import InboxFeed
from oracles.customs.operator import CustomsOperator
from tests.chain.factories import make_org
from tests.chain.test_trade import _rejects
from tests.conftest import ChainHarness
from tests.oracles.test_customs_feeds import declaration
from tests.oracles.test_customs_operator import (  # noqa: F401 - the fixtures: a database, three operators
    engine,
    operator,
    operators,
)

pytestmark = pytest.mark.chain

NUMBER = "SEC-1"
DID = declaration_id("CNSZX01", NUMBER)
AT = {
    "declared": "2026-03-30T08:00:00Z",
    "inspected": "2026-04-01T08:00:00Z",
    "released": "2026-04-02T08:00:00Z",
}


@dataclass
class Operators:
    """The chain, the operators' database and three customs oracle organisations (org id, key name)."""

    h: ChainHarness
    engine: Engine
    orgs: list[tuple[str, str]]
    folder: Path

    def drop(self, inbox: str, name: str, *timeline: tuple[str, str]) -> None:
        """Another system drops a declaration file with this (status, time) timeline into ``inbox``."""
        folder = self.folder / inbox
        folder.mkdir(parents=True, exist_ok=True)
        steps = [{"status": s, "at": at} for s, at in timeline]
        (folder / name).write_text(json.dumps({"declaration": declaration(NUMBER), "timeline": steps}))

    def operator(self, who: tuple[str, str], inbox: str) -> CustomsOperator:
        return operator(self.h, self.engine, who, InboxFeed(self.folder / inbox))

    def rows(self, org: str) -> list[CustomsAttestationRow]:
        with Session(self.engine) as session:
            query = select(CustomsAttestationRow).where(CustomsAttestationRow.operator == org)
            return list(session.exec(query))


@pytest.fixture
def ops(
    harness: ChainHarness,
    engine: Engine,  # noqa: F811
    operators: list[tuple[str, str]],  # noqa: F811
    tmp_path: Path,
) -> Operators:
    return Operators(harness, engine, operators, tmp_path)


def test_an_operators_attestation_replayed_by_another_relayer_is_refused(ops: Operators) -> None:
    harness, (first, second) = ops.h, ops.orgs[:2]
    ops.drop("a", "SEC-1.json", ("declared", AT["declared"]))
    ops.operator(first, "a").poll_once()
    (row,) = ops.rows(first[0])
    tx = harness.chain.w3.eth.get_transaction(row.tx_hash)  # what the operator sent, as anyone sees it
    customs = harness.chain.customs(second[1])
    abi = harness.chain.w3.eth.contract(address=customs.address, abi=customs.abi)
    _, args = abi.decode_function_input(tx["input"])
    signed, signature = args["a"], bytes(args["signature"])
    replayed = CustomsAttestation(
        signed["operator"],
        bytes(signed["declarationId"]),
        DeclarationStatus(signed["status"]),
        bytes(signed["contentCommitment"]),
        signed["statusAt"],
        signed["deadline"],
    )
    before = customs.declaration(DID)

    err = _rejects(
        lambda: customs.attest(replayed, signature),
        "CustomsAlreadyAttested",
        declarationId=to_hex32(DID),
        status=DeclarationStatus.DECLARED,
        org=first[0],
    )

    assert (err.code, err.status) == ("customs_already_attested", 409)
    assert customs.declaration(DID) == before
    assert (
        customs.tally(DID, DeclarationStatus.DECLARED, replayed.content_commitment, replayed.status_at) == 1
    )
    assert not customs.has_attested(DID, DeclarationStatus.DECLARED, from_hex32(second[0]))


def test_an_older_status_after_a_newer_one_does_not_move_the_declaration_back(ops: Operators) -> None:
    customs = ops.h.chain.customs()
    workers = [ops.operator(who, who[0]) for who in ops.orgs[:2]]
    for who in ops.orgs[:2]:
        ops.drop(who[0], "1.json", ("declared", AT["declared"]), ("released", AT["released"]))
    for w in workers:
        w.poll_once()
    released = customs.declaration(DID)
    declared = customs.finalisation(DID, DeclarationStatus.DECLARED)
    assert released.status is DeclarationStatus.RELEASED

    # a late file: the inspection (before the release), then the declaration again at another time
    for who in ops.orgs[:2]:
        ops.drop(who[0], "2.json", ("inspected", AT["inspected"]))
    for w in workers:
        w.poll_once()
    block = ops.h.chain.w3.eth.block_number
    for who in ops.orgs[:2]:
        ops.drop(who[0], "3.json", ("declared", "2026-03-29T08:00:00Z"))
    for w in workers:
        w.poll_once()

    assert customs.declaration(DID) == released  # still released, with its own time
    assert customs.finalisation(DID, DeclarationStatus.INSPECTED).count == 2  # on record, not current
    assert customs.finalisation(DID, DeclarationStatus.DECLARED) == declared  # the first time stands
    assert ops.h.chain.w3.eth.block_number == block  # a status attested once is never sent again
    assert [(w.stats.attested, w.stats.skipped, w.stats.refused) for w in workers] == [(3, 1, 0)] * 2


@pytest.mark.parametrize(
    "who", ["a suspended operator", "a revoked operator key", "a key of no customs oracle"]
)
def test_an_operator_that_may_not_attest_records_the_refusal_and_changes_nothing(
    ops: Operators, who: str
) -> None:
    harness, (org, key) = ops.h, ops.orgs[0]
    if who == "a suspended operator":
        harness.chain.participants(OPERATOR).suspend_organisation(from_hex32(org))
        error: dict[str, Any] = {"error": "ParticipantSuspended"}
    elif who == "a revoked operator key":  # the organisation removed the key the operator signs with
        spare = "customs-spare-key"
        address = harness.new_key(spare)
        harness.chain.participants(key).add_account(address)
        harness.chain.participants(key).remove_account(address)
        key = spare
        error = {"error": "ParticipantNotRegistered"}
    else:
        logistics, key = make_org(harness, "customs-impostor", OrgRole.LOGISTICS)
        org = to_hex32(logistics)
        address = str(Account.from_key(harness.chain.keystore.load(key).key).address)
        error = {"error": "CustomsUnknownOperator", "operator": address}
    ops.drop("inbox", "SEC-1.json", ("declared", AT["declared"]))
    worker = ops.operator((org, key), "inbox")

    worker.poll_once()

    (row,) = ops.rows(org)
    assert (row.state, (row.error or "").split(":")[0]) == ("refused", error["error"])
    if "operator" in error:
        assert error["operator"] in (row.error or "")
    assert (worker.stats.attested, worker.stats.refused) == (0, 1)
    customs = harness.chain.customs()
    assert customs.declaration(DID).status is DeclarationStatus.NONE
    assert not customs.has_attested(DID, DeclarationStatus.DECLARED, from_hex32(org))
