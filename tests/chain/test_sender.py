"""The sender against a real anvil: bursts, nonce resync, revert decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.db import make_engine
from chain.client import OPERATOR
from chain.errors import ChainRevert
from chain.ids import org_id
from chain.outbox import Outbox, OutboxRow
from chain.policy import OrgRole
from chain.sender import Sender
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

SINK = "0x000000000000000000000000000000000000dEaD"


def test_burst_of_2000_transactions_from_one_key_none_lost_or_stuck(harness: ChainHarness) -> None:
    address = harness.new_key("burst")
    sender = harness.chain.sender("burst")
    before = harness.chain.w3.eth.get_balance(SINK)

    receipts = sender.send_many({"to": SINK, "value": 1, "gas": 21_000} for _ in range(2_000))

    assert len(receipts) == 2_000
    assert len({r.tx_hash for r in receipts}) == 2_000
    assert harness.chain.w3.eth.get_transaction_count(address, "latest") == 2_000
    assert harness.chain.w3.eth.get_transaction_count(address, "pending") == 2_000
    assert harness.chain.w3.eth.get_balance(SINK) - before == 2_000


def test_sender_resyncs_after_another_writer_used_the_key(harness: ChainHarness) -> None:
    harness.new_key("shared")
    first = harness.chain.sender("shared")
    first.transact({"to": SINK, "value": 1, "gas": 21_000})
    # a second sender (another process, say) spends nonces behind the first one's back
    other = Sender(harness.chain.w3, harness.chain.keystore.load("shared"), harness.chain.decoder)
    other.transact({"to": SINK, "value": 1, "gas": 21_000})

    with pytest.raises(Exception, match="refused"):
        first.transact({"to": SINK, "value": 1, "gas": 21_000})
    receipt = first.transact({"to": SINK, "value": 1, "gas": 21_000})  # resynced, goes through

    assert receipt.block_number > 0
    assert harness.chain.w3.eth.get_transaction_count(first.address) == 3


def test_revert_is_decoded_before_a_nonce_is_spent(harness: ChainHarness) -> None:
    address = harness.new_key("stranger")
    participants = harness.chain.participants("stranger")

    with pytest.raises(ChainRevert) as err:
        participants.update_legal_id_commitment(b"\x01" * 32)

    assert err.value.code == "participant_not_registered"
    assert err.value.status == 403
    assert err.value.args_ == {"account": address}
    assert harness.chain.w3.eth.get_transaction_count(address) == 0


def test_mined_revert_is_decoded_by_replaying_the_call(harness: ChainHarness) -> None:
    address = harness.new_key("stranger2")
    participants = harness.chain.participants("stranger2")

    with pytest.raises(ChainRevert) as err:  # explicit gas: no estimate, the transaction is mined and fails
        participants.transact("updateLegalIdCommitment", b"\x01" * 32, gas=200_000)

    assert err.value.code == "participant_not_registered"
    assert harness.chain.w3.eth.get_transaction_count(address) == 1


def test_a_revert_made_while_another_thread_sent_a_lost_transaction_again_is_estimated_again(
    harness: ChainHarness, tmp_path: Path
) -> None:
    """The node lost a transaction a write depends on; the outbox's watcher sends it again and it is
    mined between this write's estimate (which reverts without it) and the sender's own recovery (which
    then finds nothing to recover). The revert is not believed: the sender estimates again."""
    address = harness.new_key("depends-on-lost")
    outbox = Outbox(make_engine(f"sqlite:///{tmp_path / 'outbox.db'}"))
    OutboxRow.__table__.create(outbox.engine, checkfirst=True)  # type: ignore[attr-defined]

    def watcher_got_there_first() -> bool:  # what the sender's own recovery finds: nothing left
        # the transaction the node lost (the account's registration), sent again and mined meanwhile
        harness.chain.participants(OPERATOR).register_organisation(
            org_id("depends-on-lost"), "Depends", OrgRole.SUPPLIER, b"\x02" * 32, [address]
        )
        outbox.rebroadcasts += 1
        return False

    sender = Sender(
        harness.chain.w3,
        harness.chain.keystore.load("depends-on-lost"),
        harness.chain.decoder,
        outbox=outbox,
        recover_lost=watcher_got_there_first,
    )
    participants = harness.chain.participants().as_(sender)

    receipt = participants.update_legal_id_commitment(b"\x01" * 32)

    assert receipt.block_number > 0
    assert harness.chain.w3.eth.get_transaction_count(address) == 1


def test_a_revert_with_nothing_lost_or_sent_again_is_raised(harness: ChainHarness, tmp_path: Path) -> None:
    address = harness.new_key("nothing-lost")
    outbox = Outbox(make_engine(f"sqlite:///{tmp_path / 'outbox.db'}"))
    OutboxRow.__table__.create(outbox.engine, checkfirst=True)  # type: ignore[attr-defined]
    asked: list[bool] = []
    sender = Sender(
        harness.chain.w3,
        harness.chain.keystore.load("nothing-lost"),
        harness.chain.decoder,
        outbox=outbox,
        recover_lost=lambda: asked.append(True) or False,
    )

    with pytest.raises(ChainRevert) as err:
        harness.chain.participants().as_(sender).update_legal_id_commitment(b"\x01" * 32)

    assert err.value.code == "participant_not_registered"
    assert asked == [True]  # the recovery was asked once, found nothing; no second estimate
    assert harness.chain.w3.eth.get_transaction_count(address) == 0
