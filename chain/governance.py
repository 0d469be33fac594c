"""Dual-control governance (雙人雙鎖): propose, approve, execute.

Every governance action is an operation on DualControl: one officer proposes
(counting as the first approval), a second distinct officer approves, and
after the execution delay any officer executes it.
"""

from __future__ import annotations

import secrets

from chain.client import OFFICERS, Chain
from chain.contracts import BoundContract
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
