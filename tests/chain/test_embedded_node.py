"""The embedded node's state across a kill: anvil writes its dumps in place, so a SIGKILL during a
dump leaves a file cut short that anvil refuses at start; the node starts from the last whole one."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from chain.node import EmbeddedNode, rpc


def _head(node: EmbeddedNode) -> int:
    return int(str(rpc(node.url, "eth_blockNumber")), 16)


def test_a_dump_cut_short_by_a_kill_restarts_from_the_last_whole_one(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    node = EmbeddedNode(state_file=state, state_interval=1)
    node.start()
    try:
        rpc(node.url, "anvil_mine", ["0x5"])
        deadline = time.monotonic() + 20
        while not (node.good_state_file and node.good_state_file.exists()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert node.good_state_file is not None and node.good_state_file.exists()
        json.loads(node.good_state_file.read_bytes())  # whole
        assert node._process is not None
        node._process.send_signal(signal.SIGKILL)
        node._process.wait(10)
        node._process = None
    finally:
        node.stop()
    whole = state.read_bytes()
    state.write_bytes(whole[: len(whole) // 2])  # what a kill in the middle of a dump leaves

    again = EmbeddedNode(state_file=state, state_interval=1, port=node.port)
    again.start()
    try:
        assert _head(again) == 5
        assert (tmp_path / "anvil-state.json.broken").read_bytes() == whole[: len(whole) // 2]
    finally:
        again.stop()


def test_without_a_whole_dump_the_node_starts_empty_and_says_so(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    state.write_text('{"block": {"numb')
    node = EmbeddedNode(state_file=state, state_interval=1)
    node.start()
    try:
        assert _head(node) == 0
        assert (tmp_path / "anvil-state.json.broken").read_text() == '{"block": {"numb'
    finally:
        node.stop()
