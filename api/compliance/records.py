"""What the compliance rules read and return: plain records of a period and findings (no I/O).

Records are built from the index's chain events (``history.fold``) as they stood at the end of the
report's period; the rules in ``rules.py`` turn them into findings. Ids are 0x-hex strings as the
index keeps them, amounts integer minor units with their ISO 4217 code, times timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from chain.errors import InvalidInput

MAX_PERIOD = timedelta(days=3 * 365 + 1)  # three years, one of them a leap year


def iso(moment: datetime) -> str:
    """UTC, ISO 8601 with ``Z``: the one spelling of a time in a report."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Ref:
    """On-chain evidence: event ``event`` at ``log_index`` of transaction ``tx`` in ``block``, at its time."""

    event: str
    block: int
    tx: str
    log_index: int
    at: datetime

    @property
    def order(self) -> tuple[int, int]:
        return (self.block, self.log_index)

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "block": self.block,
            "tx": self.tx,
            "log_index": self.log_index,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class Period:
    """The report's period: from ``start`` (included) to ``end`` (excluded)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput(
                "give both ends of the period with a timezone (2026-01-01T00:00:00Z or +08:00)",
                code="period_without_timezone",
            )
        if self.end <= self.start:
            raise InvalidInput(
                f"the period ends ({iso(self.end)}) before or when it starts ({iso(self.start)}); "
                "give `to` after `from`",
                code="period_end_not_after_start",
            )
        if self.end - self.start > MAX_PERIOD:
            raise InvalidInput(
                f"the period is {(self.end - self.start).days} days long; report at most three years "
                f"({MAX_PERIOD.days} days) at a time",
                code="period_too_long",
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """From ISO 8601 text (``Z`` or an offset required); 422 with a period code otherwise."""
        return cls(_time(start, "from"), _time(end, "to"))

    def __contains__(self, ref: Ref) -> bool:
        return self.start <= ref.at < self.end


def _time(text: str, what: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"`{what}` is {text!r}, not an ISO 8601 time; write e.g. 2026-01-01T00:00:00Z",
            code="period_invalid_time",
        ) from None


@dataclass
class ReceivableRecord:
    """A receivable as it stood at the end of the period (``status``, ``holder``, ``repaid``)."""

    receivable_id: str
    creditor: str
    debtor: str
    holder: str
    currency: str
    face_value: int
    due_date: datetime
    issued: Ref  # ReceivableIssued, or the ReceivableSplit that made this part
    repaid: int = 0
    status: Literal["issued", "confirmed", "split", "repaid", "overdue"] = "issued"
    marked_overdue: Ref | None = None
    financing_id: str | None = None  # the financing that funded it
    financier: str | None = None
    recourse: Ref | None = None

    @property
    def outstanding(self) -> int:
        return self.face_value - self.repaid


@dataclass
class FinancingRecord:
    """A financing as it stood at the end of the period."""

    financing_id: str
    receivable_id: str
    holder: str
    currency: str
    requested: Ref
    financier: str | None = None
    advance: int | None = None  # of the accepted terms (green terms when they applied)
    accepted: Ref | None = None
    needs_review: bool = False  # as FinancingAccepted recorded it
    funded: Ref | None = None  # in the review's transaction when it needed one
    cancelled: Ref | None = None
    reviewer_account: str | None = None  # the sender of the approving transaction
    reviewer_org: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    """A purchase order: ``buyer`` orders from ``supplier``."""

    order_id: str
    buyer: str
    supplier: str
    currency: str
    total: int
    registered: Ref


@dataclass(frozen=True)
class Hop:
    """A receivable split by its holder, or passed from one organisation to another.

    Financing assignments (the DvP of an accepted financing) are not hops: the financing is
    reported by its own rules."""

    kind: Literal["split", "transfer"]
    receivable_id: str
    from_org: str
    to_org: str  # the holder itself for a split
    amount: int  # outstanding value split or passed on
    currency: str
    ref: Ref
    children: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "receivable": self.receivable_id,
            "from": self.from_org,
            "to": self.to_org,
            "amount_minor": self.amount,
            "currency": self.currency,
            "children": list(self.children),
            **self.ref.as_json(),
        }


@dataclass(frozen=True)
class ThresholdChange:
    previous: int
    threshold: int
    ref: Ref


@dataclass
class Records:
    """Everything the index held up to the end of the period."""

    receivables: dict[str, ReceivableRecord] = field(default_factory=dict)
    financings: dict[str, FinancingRecord] = field(default_factory=dict)
    orders: list[OrderRecord] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # split part -> the receivable split
    threshold_changes: list[ThresholdChange] = field(default_factory=list)
    initial_threshold: int = 0  # the review threshold before the first change


@dataclass(frozen=True)
class Finding:
    """One thing a compliance officer should look at.

    ``objects`` are the ids involved, the principal one first; ``amount_minor`` and ``currency``
    the amount at stake (None where it has no single value); ``evidence`` the events that show it;
    ``details`` what is particular to the rule (JSON values)."""

    code: str
    objects: tuple[str, ...]
    organisations: tuple[str, ...]
    amount_minor: int | None
    currency: str | None
    evidence: tuple[Ref, ...]
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "objects": list(self.objects),
            "organisations": list(self.organisations),
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "evidence": [ref.as_json() for ref in self.evidence],
            "details": self.details,
        }
