"""Decodes logs into named events using the manifest's ABIs (no private web3 APIs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from chain.reverts import _canonical_type, _checksum, _jsonable


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


def _bytes(value: Any) -> bytes:
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        return bytes.fromhex(value[2:])
    return bytes(HexBytes(value))


def _topic_reader(kind: str) -> str:
    """How an indexed value of type ``kind`` is read from its topic: ``hex`` (a bytes32, or the hash a
    dynamic value is indexed by), ``uint`` and ``address`` read directly (what eth_abi would give,
    without its per-call set-up), ``abi`` through eth_abi."""
    if kind in ("string", "bytes", "bytes32") or kind.endswith("]") or kind.startswith("("):
        return "hex"
    if kind == "address" or (kind.startswith("uint") and kind[4:].isdigit()):
        return kind.rstrip("0123456789")
    return "abi"


def _topic_value(reader: str, kind: str, topic: Any) -> Any:
    word = _hex(topic)
    if reader == "hex":
        return word
    # a value whose padding is not zero goes to eth_abi, which refuses it
    if reader == "uint" and (value := int(word, 16)) < 1 << int(kind[4:]):
        return value
    if reader == "address" and word[2:26] == "0" * 24:
        return _checksum("0x" + word[26:])
    return _jsonable(abi_decode([kind], bytes.fromhex(word[2:]))[0], kind)


@dataclass(frozen=True)
class _EventSpec:
    """What decoding one event needs, worked out once from its ABI entry (not again for every log)."""

    contract: str
    address: str  # checksummed
    name: str
    inputs: tuple[str, ...]  # every argument's name, in ABI order
    indexed: tuple[tuple[str, str, str], ...]  # (name, canonical type, how its topic is read)
    plain: tuple[tuple[str, str], ...]  # (name, canonical type) of the data's values
    plain_types: tuple[str, ...]


def _spec(contract: str, address: str, item: dict[str, Any]) -> _EventSpec:
    indexed = []
    for p in item["inputs"]:
        if p.get("indexed"):
            kind = _canonical_type(p)
            indexed.append((p["name"], kind, _topic_reader(kind)))
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
        for (name, kind, reader), topic in zip(spec.indexed, topics[1:], strict=True):
            values[name] = _topic_value(reader, kind, topic)
        if spec.plain:
            decoded = abi_decode(spec.plain_types, _bytes(log["data"]))
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
