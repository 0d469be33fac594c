"""Dual-control governance (雙人雙鎖): propose, approve, execute.

Every governance action is an operation on DualControl: one officer proposes
(counting as the first approval), a second distinct officer approves, and
after the execution delay any officer executes it.
"""

from __future__ import annotations

import secrets
from typing import Any

from eth_utils import to_checksum_address

from chain.client import OFFICERS, Chain
from chain.contracts import BoundContract
from chain.errors import InvalidInput
from chain.sender import Receipt


def propose(
    chain: Chain,
    target: BoundContract,
    fn: str,
    *args: object,
    officer: str = OFFICERS[0],
    salt: bytes | None = None,
) -> bytes:
    """Propose ``target.fn(*args)``; returns the operation id."""
    op, _ = chain.dual_control(officer).propose(
        target.address, target.encode(fn, *args), salt or secrets.token_bytes(32)
    )
    return op


def approve(chain: Chain, op: bytes, officer: str = OFFICERS[1]) -> Receipt:
    return chain.dual_control(officer).approve(op)


def execute(chain: Chain, op: bytes, officer: str = OFFICERS[0]) -> Receipt:
    return chain.dual_control(officer).execute(op)


def propose_and_approve(chain: Chain, target: BoundContract, fn: str, *args: object) -> bytes:
    """The first two steps with the two configured officers; execute after the delay."""
    op = propose(chain, target, fn, *args)
    approve(chain, op)
    return op


def parse_args(abi: list[dict[str, Any]], fn: str, raw: list[str]) -> list[Any]:
    """Command-line strings to the ABI types of ``fn`` (uints, bools, addresses, bytes32, bytes, strings)."""
    candidates = [
        i for i in abi if i.get("type") == "function" and i["name"] == fn and len(i["inputs"]) == len(raw)
    ]
    if not candidates:
        arities = sorted({len(i["inputs"]) for i in abi if i.get("type") == "function" and i["name"] == fn})
        raise InvalidInput(
            f"{fn} takes {' or '.join(map(str, arities)) or 'no such function: check the name'} arguments, "
            f"not {len(raw)}",
            code="invalid_arguments",
        )
    values: list[Any] = []
    for param, text in zip(candidates[0]["inputs"], raw, strict=True):
        kind = str(param["type"])
        try:
            if kind.startswith(("uint", "int")):
                values.append(int(text, 0))
            elif kind == "bool":
                values.append(text.lower() in ("true", "1", "yes"))
            elif kind == "address":
                values.append(to_checksum_address(text))
            elif kind.startswith("bytes"):
                values.append(bytes.fromhex(text.removeprefix("0x")))
            else:
                values.append(text)
        except ValueError as exc:
            raise InvalidInput(
                f"{param['name']} ({kind}): {text!r} is not valid: {exc}", code="invalid_arguments"
            ) from None
    return values
