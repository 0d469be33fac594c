"""Governance history from the index: who was given or lost power, and who changed the rules.

Every indexed event of these kinds, oldest first, with its block, transaction and the block's time
(read from the chain once per block and kept, by block hash):

- ``access``: AccessManager role grants, revocations, role admins and guardians, the function-to-role
  table, its own scheduled operations, and contracts' authority changes;
- ``dual_control``: DualControl operations proposed, approved, executed, cancelled;
- ``threshold``: DualControl's approval threshold and execution delay, the financing review threshold,
  the customs attestation threshold;
- ``upgrade``: a proxy pointed at a new implementation;
- ``membership``: organisations registered, suspended, reinstated, accounts added or removed;
- ``pause``: the financing programme paused or unpaused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hexbytes import HexBytes
from sqlmodel import Session, col, select

from api.audit.schemas import GovernanceEventOut, GovernanceKind
from chain.client import Chain
from chain.deploy import selectors
from chain.index_models import ChainEventRow
from chain.policy import Role

ANY = "*"  # every contract
KINDS: dict[GovernanceKind, dict[str, tuple[str, ...]]] = {
    "access": {
        "AccessManager": (
            "RoleGranted",
            "RoleRevoked",
            "RoleAdminChanged",
            "RoleGuardianChanged",
            "RoleGrantDelayChanged",
            "RoleLabel",
            "TargetFunctionRoleUpdated",
            "TargetClosed",
            "TargetAdminDelayUpdated",
            "OperationScheduled",
            "OperationExecuted",
            "OperationCanceled",
        ),
        ANY: ("AuthorityUpdated",),
    },
    "dual_control": {
        "DualControl": ("OperationProposed", "OperationApproved", "OperationExecuted", "OperationCancelled")
    },
    "threshold": {
        "DualControl": ("ThresholdChanged", "ExecutionDelayChanged"),
        "Financing": ("ReviewThresholdChanged",),
        "CustomsAttestations": ("CustomsThresholdSet",),
    },
    "upgrade": {ANY: ("Upgraded",)},
    "membership": {
        "Participants": (
            "OrganisationRegistered",
            "OrganisationSuspended",
            "OrganisationReinstated",
            "AccountAdded",
            "AccountRemoved",
            "LegalIdCommitmentUpdated",
        )
    },
    "pause": {"Financing": ("ProgrammePaused", "ProgrammeUnpaused")},
}
_BLOCK_TIMES: dict[str, datetime] = {}  # block hash -> its timestamp (a block's hash fixes its time)


def kind_of(contract: str, event: str) -> GovernanceKind | None:
    for kind, contracts in KINDS.items():
        if event in contracts.get(contract, ()) or event in contracts.get(ANY, ()):
            return kind
    return None


def history(
    session: Session,
    chain: Chain,
    *,
    kind: GovernanceKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
) -> list[GovernanceEventOut]:
    """Governance events in ``[since, until)`` and ``[from_block, to_block]``, oldest first."""
    names = {
        n for k, contracts in KINDS.items() if kind in (None, k) for ns in contracts.values() for n in ns
    }
    query = select(ChainEventRow).where(col(ChainEventRow.name).in_(names))
    if from_block is not None:
        query = query.where(col(ChainEventRow.block_number) >= from_block)
    if to_block is not None:
        query = query.where(col(ChainEventRow.block_number) <= to_block)
    rows = session.exec(query.order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index)))
    found = []
    for row in rows:
        row_kind = kind_of(row.contract, row.name)
        if row_kind is None or kind not in (None, row_kind):
            continue
        time = _block_time(chain, row.block_hash)
        if (since is not None and time < since) or (until is not None and time >= until):
            continue
        args = json.loads(row.args)
        found.append(
            GovernanceEventOut(
                block=row.block_number,
                tx_hash=row.tx_hash,
                time=time,
                kind=row_kind,
                contract=row.contract,
                event=row.name,
                args=args,
                role=_role(args.get("roleId")),
                call=_call(chain, args) if row.name == "OperationProposed" else None,
            )
        )
    return found


def _block_time(chain: Chain, block_hash: str) -> datetime:
    if block_hash not in _BLOCK_TIMES:
        if len(_BLOCK_TIMES) > 100_000:
            _BLOCK_TIMES.clear()
        block = chain.w3.eth.get_block(HexBytes(block_hash))
        _BLOCK_TIMES[block_hash] = datetime.fromtimestamp(int(block["timestamp"]), UTC)
    return _BLOCK_TIMES[block_hash]


def _role(role_id: object) -> str | None:
    if not isinstance(role_id, int):
        return None
    try:
        return Role(role_id).name
    except ValueError:
        return str(role_id)


def _call(chain: Chain, args: dict[str, object]) -> str | None:
    """``Contract.function`` a dual-control proposal would call, from its target and calldata."""
    data = str(args.get("data", ""))
    for name, record in chain.require_manifest().contracts.items():
        if record.address.lower() == str(args.get("target", "")).lower():
            functions = sorted({i["name"] for i in record.abi if i.get("type") == "function"})
            called = [f for f in functions if HexBytes(data[:10]) in selectors(record.abi, f)]
            return f"{name}.{called[0] if called else data[:10]}"
    return None
