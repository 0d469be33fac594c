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
    """``0x`` and lowercase hex digits, from an RPC hex string or bytes."""
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        return "0x" + value[2:].lower()
    return HexBytes(value).to_0x_hex()


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


@dataclass(frozen=True)
class _EventSpec:
    """What decoding one event needs, worked out once from its ABI entry (not again for every log)."""

    contract: str
    address: str  # checksummed
    name: str
    inputs: tuple[str, ...]  # every argument's name, in ABI order
    indexed: tuple[tuple[str, str, bool], ...]  # (name, canonical type, hashed: a dynamic value's hash)
    plain: tuple[tuple[str, str], ...]  # (name, canonical type) of the data's values
    plain_types: tuple[str, ...]


def _spec(contract: str, address: str, item: dict[str, Any]) -> _EventSpec:
    indexed = []
    for p in item["inputs"]:
        if p.get("indexed"):
            kind = _canonical_type(p)
            hashed = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
            indexed.append((p["name"], kind, hashed))
    plain = tuple((p["name"], _canonical_type(p)) for p in item["inputs"] if not p.get("indexed"))
    return _EventSpec(
        contract=contract,
        address=address,
        name=item["name"],
        inputs=tuple(p["name"] for p in item["inputs"]),
        indexed=tuple(indexed),
        plain=plain,
        plain_types=tuple(kind for _, kind in plain),
    )


class EventDecoder:
    """Knows every event of the given contracts, by (address, topic0)."""

    def __init__(self, contracts: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
        """``contracts``: name -> (address, abi)."""
        self._names = {to_checksum_address(addr): name for name, (addr, _) in contracts.items()}
        # keyed by the lowercase hex of the address and of topic0, as a node's logs carry them
        self._events: dict[tuple[str, str], _EventSpec] = {}
        for addr, abi in contracts.values():
            address = to_checksum_address(addr)
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    sig = f"{item['name']}({','.join(_canonical_type(p) for p in item['inputs'])})"
                    key = (address.lower(), "0x" + keccak(text=sig).hex())
                    self._events[key] = _spec(self._names[address], address, item)

    @property
    def addresses(self) -> list[str]:
        return sorted(self._names)

    def decode(self, log: dict[str, Any]) -> ChainEvent | None:
        """The event for a raw log (RPC dict, hex strings or bytes); None if it is not ours."""
        topics = log["topics"]
        if not topics:
            return None
        spec = self._events.get((_hex(log["address"]), _hex(topics[0])))
        if spec is None:
            return None
        values: dict[str, Any] = {}
        for (name, kind, hashed), topic in zip(spec.indexed, topics[1:], strict=True):
            if hashed:
                values[name] = _hex(topic)  # dynamic indexed values are hashed
            else:
                values[name] = _jsonable(abi_decode([kind], bytes(HexBytes(topic)))[0], kind)
        decoded = abi_decode(spec.plain_types, bytes(HexBytes(log["data"])))
        for (name, kind), value in zip(spec.plain, decoded, strict=True):
            values[name] = _jsonable(value, kind)
        return ChainEvent(
            contract=spec.contract,
            name=spec.name,
            args={name: values[name] for name in spec.inputs},
            address=spec.address,
            block_number=_int(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            log_index=_int(log["logIndex"]),
        )
