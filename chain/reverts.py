"""Decodes revert data into the exception tree.

Every custom error in the compiled ABIs is known by its 4-byte selector. The
stable error ``code`` is the error's name in snake_case
(``ParticipantSuspended`` -> ``participant_suspended``); the HTTP status
follows from the name (``…Unauthorized…``, ``…NotParty`` -> 403, ``…Unknown…`` -> 404,
``…Invalid…`` -> 422, anything else -> 409), except for the few errors in ``_STATUS_BY_ERROR``
whose names read otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from chain.errors import ChainError, ChainRevert

_STATUS_RULES: tuple[tuple[re.Pattern[str], int], ...] = (
    (
        re.compile(
            r"Unauthori[sz]ed|NotRegistered|(?<!Not)Suspended|NotActiveMember|CannotSuspendSelf|NotParty"
        ),
        403,
    ),
    (re.compile(r"Unknown|NotFound"), 404),
    (re.compile(r"Invalid|Zero|^\w+No[A-Z]|Empty|Reserved"), 422),
)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


# Errors whose HTTP status the name rules would get wrong.
_STATUS_BY_ERROR: dict[str, int] = {
    # the signer is no customs oracle (or its organisation is suspended): not allowed, not "not found"
    "CustomsUnknownOperator": 403,
    # a signed customs attestation that does not verify or is stale: the payload is unprocessable
    "CustomsBadSignature": 422,
    "CustomsAttestationExpired": 422,
    "CustomsThresholdTooLow": 422,
    "CustomsBatchLengthMismatch": 422,
}


def status_for(name: str) -> int:
    if name in _STATUS_BY_ERROR:
        return _STATUS_BY_ERROR[name]
    for pattern, status in _STATUS_RULES:
        if pattern.search(name):
            return status
    return 409


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(p) for p in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    inputs: tuple[dict[str, Any], ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(_canonical_type(p) for p in self.inputs)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]


@functools.lru_cache(maxsize=4_096)
def _checksum(address: str | bytes) -> str:
    """``to_checksum_address`` remembered: it hashes the address each time, and a log's accounts repeat."""
    return to_checksum_address(address)


def _jsonable(value: Any, kind: str = "") -> Any:
    if kind == "address":
        return _checksum(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()  # as eth_utils.to_hex, without its argument checks
    if isinstance(value, list | tuple):
        return [_jsonable(v, kind.removesuffix("[]")) for v in value]
    return value


class ErrorDecoder:
    """Maps revert data to :class:`ChainRevert` using every error in the given ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._by_selector: dict[bytes, ErrorSpec] = {}
        builtin = [
            {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
            {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
        ]
        for abi in [builtin, *abis]:
            for item in abi:
                if item.get("type") == "error":
                    spec = ErrorSpec(item["name"], tuple(item.get("inputs", ())))
                    self._by_selector.setdefault(spec.selector, spec)

    def decode(self, data: bytes | str | None, *, context: str = "") -> ChainRevert | ChainError:
        """The domain exception for revert ``data`` (a ChainError when it cannot be decoded)."""
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
        where = f" ({context})" if context else ""
        if not raw or len(raw) < 4:
            return ChainError(f"the transaction reverted without a reason{where}")
        spec = self._by_selector.get(raw[:4])
        if spec is None:
            return ChainError(f"the transaction reverted with unknown error 0x{raw[:4].hex()}{where}")
        values = abi_decode([_canonical_type(p) for p in spec.inputs], raw[4:])
        args = {
            p.get("name") or f"arg{i}": _jsonable(v, str(p["type"]))
            for i, (p, v) in enumerate(zip(spec.inputs, values, strict=True))
        }
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        return ChainRevert(
            f"rejected by the contract: {spec.name}({shown}){where}",
            error=spec.name,
            args=args,
            code=snake(spec.name),
            status=status_for(spec.name),
        )

    def known(self) -> list[str]:
        return sorted(spec.signature for spec in self._by_selector.values())
