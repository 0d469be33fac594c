"""Decodes logs into named events using the manifest's ABIs (no private web3 APIs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from chain.reverts import _canonical_type, _jsonable


@dataclass(frozen=True)
class ChainEvent:
    contract: str
    name: str
    args: dict[str, Any]
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


def _hex(value: Any) -> str:
    return HexBytes(value).to_0x_hex()


class EventDecoder:
    """Knows every event of the given contracts, by (address, topic0)."""

    def __init__(self, contracts: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
        """``contracts``: name -> (address, abi)."""
        self._names = {to_checksum_address(addr): name for name, (addr, _) in contracts.items()}
        self._events: dict[tuple[str, bytes], dict[str, Any]] = {}
        for addr, abi in contracts.values():
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    sig = f"{item['name']}({','.join(_canonical_type(p) for p in item['inputs'])})"
                    self._events[(to_checksum_address(addr), keccak(text=sig))] = item

    @property
    def addresses(self) -> list[str]:
        return sorted(self._names)

    def decode(self, log: dict[str, Any]) -> ChainEvent | None:
        """The event for a raw log (RPC dict, hex strings or bytes); None if it is not ours."""
        address = to_checksum_address(log["address"])
        topics = [HexBytes(t) for t in log["topics"]]
        if not topics or (address, bytes(topics[0])) not in self._events:
            return None
        abi = self._events[(address, bytes(topics[0]))]
        indexed = [p for p in abi["inputs"] if p.get("indexed")]
        plain = [p for p in abi["inputs"] if not p.get("indexed")]
        values: dict[str, Any] = {}
        for param, topic in zip(indexed, topics[1:], strict=True):
            kind = _canonical_type(param)
            if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
                values[param["name"]] = _hex(topic)  # dynamic indexed values are hashed
            else:
                values[param["name"]] = _jsonable(abi_decode([kind], bytes(topic))[0], kind)
        decoded = abi_decode([_canonical_type(p) for p in plain], bytes(HexBytes(log["data"])))
        for param, value in zip(plain, decoded, strict=True):
            values[param["name"]] = _jsonable(value, _canonical_type(param))
        return ChainEvent(
            contract=self._names[address],
            name=abi["name"],
            args={p["name"]: values[p["name"]] for p in abi["inputs"]},
            address=address,
            block_number=int(str(log["blockNumber"]), 16)
            if isinstance(log["blockNumber"], str)
            else int(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            log_index=int(str(log["logIndex"]), 16)
            if isinstance(log["logIndex"], str)
            else int(log["logIndex"]),
        )
