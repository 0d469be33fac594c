"""What a carbon dashboard shows, read with the carbon API's own visibility rules.

Emissions are the stated ones: the statements ``GET /api/v1/carbon/statements`` returns to the caller
(its own; a carbon verifier every one), each with its period and subject as CarbonLedger holds them.
Totals count each emission once (``counted``): an organisation-wide scope 1 or 2 statement includes
its facility statements of the same scope and period, and an order's scope 3 statement includes its
shipments' statements of the same period, so those are listed but not added again.

Devices are the caller's own (``GET /api/v1/devices``), with their accepted readings counted; a device
is healthy when its last reading reached an IoT oracle within ``STALE_AFTER``. Credits are those
issued to and retired by the caller's organisation, with the transactions that did it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from api.auth.service import Caller
from api.carbon.account import StatementOut, statements
from api.carbon.emissions import ZERO
from api.carbon.models import ReadingBatchRow, ReadingRow
from api.carbon.service import resolve_freight_subject
from api.participants.models import OrganisationAccount
from chain.client import Chain
from chain.index_models import ChainEventRow

SCOPES = (1, 2, 3)
STALE_AFTER = timedelta(hours=1)  # a device whose last reading is older than this is "stale"


# --- emissions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatedEmission:
    """A statement with its on-chain period and subject, and whether totals count it."""

    statement: StatementOut
    period_start: int
    period_end: int
    subject: str  # 0x… keccak of the label, or ZERO for the whole organisation
    label: str | None  # scope 3: "order:<id>" or "shipment:<bl number>"
    covers: frozenset[str]  # scope 3: the bills of lading it states
    counted: bool = True

    @property
    def kind(self) -> str:
        if self.statement.scope == 3:
            return "order" if (self.label or "").startswith("order:") else "shipment"
        return "organisation" if self.subject == ZERO else "facility"

    @property
    def period(self) -> tuple[int, int]:
        return (self.period_start, self.period_end)


def stated_emissions(chain: Chain, session: Session, caller: Caller) -> list[StatedEmission]:
    """The caller's visible statements with their period and subject (read from CarbonLedger),
    each marked counted unless a broader statement of the same organisation and period includes it."""
    found = []
    for out in statements(caller, session):  # GET /api/v1/carbon/statements: the same rows
        on_chain = chain.carbon().call("statement", bytes.fromhex(out.id[2:]))
        subject = "0x" + bytes(on_chain[6]).hex()
        label, covers = None, frozenset[str]()
        if out.scope == 3:
            freight = resolve_freight_subject(session, out.org, subject)
            if freight is not None:
                label, covers = freight.label, frozenset(s.bl_number for s in freight.shipments)
        found.append(StatedEmission(out, int(on_chain[3]), int(on_chain[4]), subject, label, covers))
    return [_counted(item, found) for item in found]


def _counted(item: StatedEmission, every: list[StatedEmission]) -> StatedEmission:
    same = [
        o
        for o in every
        if o.statement.org == item.statement.org
        and o.statement.scope == item.statement.scope
        and o.period == item.period
    ]
    if item.kind == "facility":
        included = any(o.kind == "organisation" for o in same)
    elif item.kind == "shipment":
        included = any(o.kind == "order" and item.covers <= o.covers for o in same)
    else:
        included = False
    return StatedEmission(**{**item.__dict__, "counted": not included})


def totals_by_scope(items: Iterable[StatedEmission]) -> dict[int, int]:
    """Grams CO2e per scope, each emission counted once."""
    totals = dict.fromkeys(SCOPES, 0)
    for item in items:
        if item.counted:
            totals[item.statement.scope] += item.statement.grams_co2
    return totals


@dataclass(frozen=True)
class PeriodTotals:
    period_start: int
    period_end: int
    grams: dict[int, int]  # per scope

    @property
    def total(self) -> int:
        return sum(self.grams.values())


def over_time(items: Iterable[StatedEmission]) -> list[PeriodTotals]:
    """Counted grams per scope for each stated period, earliest first."""
    periods: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: dict.fromkeys(SCOPES, 0))
    for item in items:
        if item.counted:
            periods[item.period][item.statement.scope] += item.statement.grams_co2
    return [PeriodTotals(start, end, grams) for (start, end), grams in sorted(periods.items())]


# --- devices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceActivity:
    readings: int
    pending: int  # not in an anchored batch yet
    last_timestamp: int | None  # the device's own clock, Unix seconds
    last_received: datetime | None  # when an IoT oracle accepted its last reading


def device_activity(session: Session, org: str) -> dict[str, DeviceActivity]:
    """Per device of ``org``'s: its accepted readings, those not anchored yet, and the latest one."""
    anchored = select(ReadingBatchRow.root).where(ReadingBatchRow.status == "anchored")
    mine = ReadingRow.owner == org
    device = col(ReadingRow.device_id)
    pending = session.exec(
        select(ReadingRow.device_id, func.count())
        .where(mine, or_(col(ReadingRow.batch_root).is_(None), col(ReadingRow.batch_root).not_in(anchored)))
        .group_by(device)
    )
    waiting = {d: int(n) for d, n in pending}
    query = select(
        ReadingRow.device_id, func.count(), func.max(ReadingRow.timestamp), func.max(ReadingRow.received_at)
    )
    return {
        d: DeviceActivity(int(n), waiting.get(d, 0), _int(last), _aware(received))
        for d, n, last, received in session.exec(query.where(mine).group_by(device))
    }


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def health(status: str, activity: DeviceActivity | None, now: datetime) -> str:
    """``revoked``; ``no readings``; ``stale`` (its last reading reached an oracle over ``STALE_AFTER``
    ago); else ``healthy``."""
    if status != "active":
        return "revoked"
    if activity is None or activity.last_received is None:
        return "no readings"
    return "stale" if now - activity.last_received > STALE_AFTER else "healthy"


@dataclass(frozen=True)
class BatchOfReadings:
    root: str
    yours: int  # the organisation's readings in it
    count: int
    period_start: int
    period_end: int
    status: str
    tx_hash: str | None
    block_number: int | None


def batches_of(session: Session, org: str, limit: int = 20) -> list[BatchOfReadings]:
    """The latest batches holding ``org``'s readings (batch roots are public on chain)."""
    query = (
        select(ReadingBatchRow, func.count())
        .join(ReadingRow, col(ReadingRow.batch_root) == col(ReadingBatchRow.root))
        .where(ReadingRow.owner == org)
        .group_by(col(ReadingBatchRow.root))
        .order_by(col(ReadingBatchRow.created_at).desc())
        .limit(limit)
    )
    return [
        BatchOfReadings(
            b.root, int(n), b.count, b.period_start, b.period_end, b.status, b.tx_hash, b.block_number
        )
        for b, n in session.exec(query)
    ]


# --- credits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditEvent:
    """Credits issued to or retired by the organisation, as the chain recorded it."""

    token_id: str
    kg: int
    block_number: int
    tx_hash: str
    project: str | None = None  # issued: keccak256 of the project label
    vintage: int | None = None
    statement: str | None = None  # issued: the verified statement behind them
    beneficiary: str | None = None  # retired
    reason: str | None = None


def credits_issued(session: Session, org: str) -> list[CreditEvent]:
    """``CreditsIssued`` to one of ``org``'s accounts, oldest first."""
    accounts = {
        a.lower()
        for a in session.exec(select(OrganisationAccount.address).where(OrganisationAccount.org_id == org))
    }
    return [
        _credit_event(e, a, project=a["project"], vintage=int(a["vintage"]), statement=a["statement"])
        for e, a in _events(session, "CreditsIssued")
        if str(a["to"]).lower() in accounts
    ]


def credits_retired(session: Session, org: str) -> list[CreditEvent]:
    """``CreditsRetired`` by ``org``, oldest first: retirement is final and names a beneficiary."""
    return [
        _credit_event(e, a, beneficiary=a["beneficiary"], reason=a["reason"])
        for e, a in _events(session, "CreditsRetired", contains=org)
        if a["holder"] == org
    ]


def _credit_event(e: ChainEventRow, args: dict[str, Any], **details: Any) -> CreditEvent:
    return CreditEvent(_token(args["tokenId"]), int(args["kg"]), e.block_number, e.tx_hash, **details)


def _events(
    session: Session, name: str, contains: str | None = None
) -> list[tuple[ChainEventRow, dict[str, Any]]]:
    """The indexed events of ``name`` (whose arguments mention ``contains``), oldest first, with their
    arguments."""
    query = select(ChainEventRow).where(ChainEventRow.name == name)
    if contains is not None:
        query = query.where(col(ChainEventRow.args).contains(contains))
    rows = session.exec(query.order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index)))
    return [(row, json.loads(row.args)) for row in rows]


def _token(value: object) -> str:
    return f"0x{int(str(value)):064x}"
