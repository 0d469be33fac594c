"""The compliance report: the index's events up to the period's end, the rules, and a hash.

The index keeps no block times, so they are read from the chain (``RpcFacts``, batched and
cached per report), with the sender of each risk-review transaction and the review threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from eth_typing import HexStr
from eth_utils import keccak
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from api.audit.grants import subjects_of
from api.auth.service import Caller
from api.compliance.history import EVENTS, fold
from api.compliance.records import Period, Records, iso
from api.compliance.rules import CODES, Parameters, evaluate, in_scope
from api.participants.models import Organisation, OrganisationAccount
from api.trade.documents import canonical_json
from chain.client import Chain
from chain.errors import Forbidden
from chain.events import ChainEvent
from chain.index_models import ChainEventRow, IndexerCheckpoint
from chain.indexer import CHECKPOINT, _to_event

REPORT_FORMAT = "tradeledger.compliance-report/1"
BATCH = 500  # block headers per JSON-RPC batch


class ChainFacts(Protocol):
    """What the report needs from the chain beyond the index."""

    def block_times(self, blocks: Iterable[int]) -> dict[int, datetime]: ...

    def sender(self, tx_hash: str) -> str: ...

    def review_threshold(self) -> int: ...


@dataclass
class RpcFacts:
    """``ChainFacts`` over JSON-RPC; block times are fetched in batches and kept."""

    chain: Chain
    _times: dict[int, datetime] = field(default_factory=dict)

    def block_times(self, blocks: Iterable[int]) -> dict[int, datetime]:
        missing = sorted(set(blocks) - set(self._times))
        w3 = self.chain.w3
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            with w3.batch_requests() as batch:
                for number in chunk:
                    batch.add(w3.eth.get_block(number))
                headers: list[Any] = batch.execute()
            for number, header in zip(chunk, headers, strict=True):
                self._times[number] = datetime.fromtimestamp(int(header["timestamp"]), UTC)
        return self._times

    def sender(self, tx_hash: str) -> str:
        return str(self.chain.w3.eth.get_transaction(HexStr(tx_hash))["from"])

    def review_threshold(self) -> int:
        return int(self.chain.financing().call("reviewThreshold"))


def scope_for(session: Session, caller: Caller) -> frozenset[str] | None:
    """The organisations ``caller`` may report on: None for the whole consortium (the operator only);
    an auditor or regulator, those its grants and mandates cover (none: an empty report)."""
    if caller.is_operator:
        return None
    if caller.is_auditing:
        return frozenset(subjects_of(session, caller.org_id))
    raise Forbidden(
        "only the operator, regulators and auditors read compliance reports",
        code="role_required",
    )


def _events(session: Session, last_block: int) -> list[ChainEvent]:
    wanted = or_(
        *(
            and_(col(ChainEventRow.contract) == contract, col(ChainEventRow.name).in_(names))
            for contract, names in EVENTS.items()
        )
    )
    rows = session.exec(
        select(ChainEventRow)
        .where(wanted, col(ChainEventRow.block_number) <= last_block)
        .order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index))
    )
    return [_to_event(row) for row in rows]


def load(session: Session, facts: ChainFacts, end: datetime) -> tuple[Records, IndexerCheckpoint | None]:
    """The records as they stood at ``end``, and the index checkpoint they come from."""
    checkpoint = session.get(IndexerCheckpoint, CHECKPOINT)
    if checkpoint is None:
        return Records(), None
    events = _events(session, checkpoint.block_number)
    times = facts.block_times([checkpoint.block_number, *(e.block_number for e in events)])
    accounts = {a.address: a.org_id for a in session.exec(select(OrganisationAccount))}
    # the threshold before the first change: that change's `previous`, or today's if it never changed
    change = next((e for e in events if e.name == "ReviewThresholdChanged"), None)
    initial = int(change.args["previous"]) if change else facts.review_threshold()
    records = fold([e for e in events if times[e.block_number] < end], times, accounts, initial)
    for f in records.financings.values():
        if f.needs_review and f.funded is not None:
            f.reviewer_account = facts.sender(f.funded.tx)
            f.reviewer_org = accounts.get(f.reviewer_account)
    return records, checkpoint


def report_hash(report: dict[str, Any]) -> str:
    """keccak256 of the report's canonical JSON without ``report_hash``: check a copy with it."""
    body = {k: v for k, v in report.items() if k != "report_hash"}
    return "0x" + keccak(canonical_json(body)).hex()


def build_report(
    session: Session,
    facts: ChainFacts,
    period: Period,
    params: Parameters,
    scope: frozenset[str] | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The report on ``period`` for ``scope`` (None: the whole consortium), as JSON values."""
    now = now or datetime.now(UTC)
    records, checkpoint = load(session, facts, period.end)
    indexed_at = facts.block_times([checkpoint.block_number])[checkpoint.block_number] if checkpoint else now
    as_of = min(period.end, max(now, indexed_at))  # the period's end, or now while it runs
    if scope is not None:
        records = in_scope(records, scope)
    findings = evaluate(records, period, as_of, params)
    seen = {o for found in findings.values() for f in found for o in f.organisations} | (scope or set())
    names = session.exec(select(Organisation).where(col(Organisation.org_id).in_(seen)))
    currencies = {r.currency for r in records.receivables.values()}
    report: dict[str, Any] = {
        "report": REPORT_FORMAT,
        "period": {"from": iso(period.start), "to": iso(period.end), "as_of": iso(as_of)},
        "index": {
            "block": checkpoint.block_number if checkpoint else None,
            "block_hash": checkpoint.block_hash if checkpoint else None,
            "chain_id": checkpoint.chain_id if checkpoint else None,
        },
        "scope": {"consortium": scope is None, "organisations": None if scope is None else sorted(scope)},
        "parameters": params.as_json(currencies),
        "generated_at": iso(now),
        "counts": {code: len(findings[code]) for code in CODES},
        "findings": {code: [f.as_json() for f in findings[code]] for code in CODES},
        "organisations": {o.org_id: {"name": o.name, "role": o.role} for o in names},
    }
    report["report_hash"] = report_hash(report)
    return report
