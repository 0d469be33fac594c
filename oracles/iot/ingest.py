"""Checks MQTT messages and persists the valid readings and the rejection counts (before they are acked).

Checks, in order: size and JSON shape, signature (fast EIP-712 recovery), topic, clock skew,
plausible range (the local checks first), device known and the signing key valid at the reading's
time (from DeviceRegistry, cached), binding, sequence (replays rejected).
Every rejection is counted by reason.

Replay protection is a seen-set kept by the database: a device's sequence is accepted once (the
unique ``(device_id, sequence)`` of ``iot_readings``, which every oracle instance shares), in any
order. A message the broker delivers twice (same device, sequence and signature) is accepted once
and the second copy counted as ``duplicate``; another reading with a sequence already used is
``replayed``. Sequences need not increase: oracle instances sharing a subscription, or a
redelivery after a reconnect, see a device's readings out of order, and refusing a sequence below
the highest stored one refused genuine readings (and acknowledged them: they were lost). Age is
bounded by the clock-skew check instead, so a captured reading cannot be brought back later
than ``max_skew`` seconds. Sequence jumps are counted as ``gap``, readings that arrive after a
later one of their device as ``late`` (both only for monitoring).
Messages are handled in groups (group commit): the checks that need no database run per message,
then sequences are judged and every outcome of the group is written in one transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Engine, Table, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.carbon.models import IngestCounter, ReadingRow
from chain.carbon_contracts import DeviceRegistryContract
from chain.errors import ChainRevert
from iot.metrics import plausible
from iot.readings import PayloadError, Reading, ReadingVerifier, parse_payload
from iot.topics import parse_readings_topic

log = logging.getLogger(__name__)

READINGS: Table = ReadingRow.__table__  # type: ignore[attr-defined]
COUNTERS: Table = IngestCounter.__table__  # type: ignore[attr-defined]

REASONS = (
    "oversized",
    "malformed",
    "unsigned",
    "bad_signature",
    "wrong_topic",
    "unknown_device",
    "unknown_key",
    "revoked_key",
    "wrong_binding",
    "clock_skew",
    "out_of_range",
    "replayed",
)


@dataclass(frozen=True)
class DeviceInfo:
    owner: str
    binding: str
    active: bool


class DeviceDirectory(Protocol):
    def device(self, device_id: bytes) -> DeviceInfo | None: ...

    def signer_problem(self, device_id: bytes, signer: str, timestamp: int) -> str | None: ...


class ChainDevices:
    """DeviceRegistry views, cached for ``ttl`` seconds (a revocation is seen within ``ttl``)."""

    def __init__(self, registry: DeviceRegistryContract, ttl: float = 5.0) -> None:
        self.registry = registry
        self.ttl = ttl
        self._devices: dict[bytes, tuple[float, DeviceInfo | None]] = {}
        self._keys: dict[tuple[bytes, str], tuple[float, tuple[int, int]]] = {}  # -> (valid from, revoked at)
        self._lock = threading.Lock()

    def device(self, device_id: bytes) -> DeviceInfo | None:
        with self._lock:
            cached = self._devices.get(device_id)
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            view = self.registry.device(device_id)
            info: DeviceInfo | None = DeviceInfo(
                "0x" + view.owner.hex(), "0x" + view.binding.hex(), view.status == "active"
            )
        except ChainRevert:
            info = None
        with self._lock:
            self._devices[device_id] = (time.monotonic(), info)
        return info

    def signer_problem(self, device_id: bytes, signer: str, timestamp: int) -> str | None:
        """None when ``signer`` was a key of the device at ``timestamp`` (from its cached key record).

        Otherwise the rejection reason: ``unknown_key`` when it never was a key of this device (a
        key registered to no one or to another device, or a payload altered after signing, which
        recovers an arbitrary address), ``revoked_key`` when it was, but not at that time. The rule
        of ``DeviceRegistry.isValidSigner``, evaluated here: one chain call per key and TTL."""
        key = (device_id, signer)
        with self._lock:
            cached = self._keys.get(key)
        if cached is None or time.monotonic() - cached[0] >= self.ttl:
            _generation, valid_from, revoked_at = self.registry.call("keyRecord", device_id, signer)
            cached = (time.monotonic(), (int(valid_from), int(revoked_at)))
            with self._lock:
                self._keys[key] = cached
        valid_from, revoked_at = cached[1]
        if valid_from == 0:
            return "unknown_key"
        if timestamp >= valid_from and (revoked_at == 0 or timestamp < revoked_at):
            return None
        return "revoked_key"


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    reason: str = ""  # the rejection reason; "duplicate" for a redelivered, already accepted reading
    detail: str = ""


@dataclass(frozen=True)
class _Valid:
    """A reading that passed every check that needs no database; its sequence is judged at commit."""

    reading: Reading
    signer: str
    signature: str  # 0x-hex
    owner: str
    payload: bytes

    @property
    def device(self) -> str:
        return "0x" + self.reading.device_id.hex()


class Ingestor:
    def __init__(
        self,
        engine: Engine,
        verifier: ReadingVerifier,
        devices: DeviceDirectory,
        *,
        max_skew: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.verifier = verifier
        self.devices = devices
        self.max_skew = max_skew
        self.clock = clock
        self._lock = threading.Lock()

    def handle(self, topic: str, payload: bytes) -> Outcome:
        """Check and persist one message; returns once the outcome is durable (then it may be acked)."""
        return self.handle_group([(topic, payload)])[0]

    def handle_group(self, messages: Sequence[tuple[str, bytes]]) -> list[Outcome]:
        """Check ``(topic, payload)`` messages and persist all their outcomes in ONE transaction.

        Returns (one outcome per message, in order) once that transaction is committed: then every
        message of the group may be acknowledged. Raises when the database fails; then nothing of
        the group is persisted and none of it may be acknowledged. Sequences are judged against the
        database and against the readings before them in the same group."""
        checked = [self._check(topic, payload) for topic, payload in messages]
        with self._lock:
            try:
                return self._commit(checked)
            except IntegrityError:  # another oracle instance stored one of them a moment ago
                return self._commit(checked)  # judged again, now against what it stored

    def _check(self, topic: str, payload: bytes) -> _Valid | Outcome:
        try:
            reading, signature = parse_payload(payload)
            signer = self.verifier.recover(reading, signature)
        except PayloadError as exc:
            return _rejected(exc.reason, str(exc), payload)
        device_hex = "0x" + reading.device_id.hex()
        parsed = parse_readings_topic(topic)
        if parsed is None or parsed[1] != device_hex:
            return _rejected("wrong_topic", f"{topic} is not the readings topic of {device_hex}", payload)
        if abs(reading.timestamp - self.clock()) > self.max_skew:
            return _rejected(
                "clock_skew", f"timestamp {reading.timestamp} is off by more than {self.max_skew}s", payload
            )
        if not plausible(reading.metric, reading.unit, reading.value_milli):
            return _rejected(
                "out_of_range", f"{reading.metric} {reading.value} {reading.unit} is implausible", payload
            )
        info = self.devices.device(reading.device_id)
        if info is None:
            return _rejected("unknown_device", f"device {device_hex} is not registered", payload)
        if parsed[0] != info.owner:
            return _rejected("wrong_topic", f"{device_hex} belongs to {info.owner}, not {parsed[0]}", payload)
        if not info.active:
            return _rejected("revoked_key", f"device {device_hex} is revoked", payload)
        problem = self.devices.signer_problem(reading.device_id, signer, reading.timestamp)
        if problem == "unknown_key":
            return _rejected(
                problem, f"{signer} is no key of {device_hex} (or the reading was altered)", payload
            )
        if problem is not None:
            return _rejected(problem, f"{signer} was not a valid key of {device_hex} then", payload)
        if "0x" + reading.binding.hex() != info.binding:
            return _rejected("wrong_binding", f"{device_hex} is bound to {info.binding}", payload)
        return _Valid(reading, signer, "0x" + signature.hex(), info.owner, payload)

    def _commit(self, checked: Sequence[_Valid | Outcome]) -> list[Outcome]:
        """Judge sequences, store accepted readings and count outcomes in one transaction."""
        valid = [c for c in checked if isinstance(c, _Valid)]
        counts = Counter(f"rejected:{c.reason}" for c in checked if isinstance(c, Outcome))
        outcomes: list[Outcome] = []
        with Session(self.engine) as session:
            seen = self._stored(session, valid)  # (device, sequence) -> signature, this group's included
            highest = self._highest(session, {v.device for v in valid})
            received_at, accepted = datetime.now(UTC), []
            for c in checked:
                outcome = c if isinstance(c, Outcome) else self._sequence(c, seen, highest, counts)
                if outcome.accepted and isinstance(c, _Valid):
                    accepted.append(_row(c, received_at))
                outcomes.append(outcome)
            if accepted:  # one multi-row INSERT (Core: no ORM object per reading)
                session.execute(insert(READINGS), accepted)
            for name, n in counts.items():
                self._count(session, name, n)
            session.commit()
        return outcomes

    @staticmethod
    def _sequence(
        v: _Valid, seen: dict[tuple[str, int], str], highest: dict[str, int], counts: Counter[str]
    ) -> Outcome:
        """The reading's fate by its sequence (once per device, in any order); an accepted one joins
        ``seen`` and raises ``highest``."""
        seq, previous = v.reading.sequence, highest.get(v.device)
        used = seen.get((v.device, seq))
        if used is not None:
            if used == v.signature:
                counts["duplicate"] += 1  # a redelivery, or the same message replayed: counted, not stored
                return Outcome(False, "duplicate", "already accepted (a redelivery)")
            counts["rejected:replayed"] += 1
            return _rejected("replayed", f"sequence {seq} of {v.device} was used already", v.payload)
        if previous is None or seq > previous:
            if previous is not None and seq > previous + 1:
                counts["gap"] += 1
            highest[v.device] = seq
        else:
            counts["late"] += 1  # a later sequence arrived first (another instance, or a redelivery)
        seen[(v.device, seq)] = v.signature
        counts["accepted"] += 1
        return Outcome(True)

    @staticmethod
    def _stored(session: Session, valid: Sequence[_Valid]) -> dict[tuple[str, int], str]:
        """Signatures of stored readings with a (device, sequence) of ``valid`` (and maybe a few more)."""
        if not valid:
            return {}
        rows = session.exec(
            select(ReadingRow.device_id, ReadingRow.sequence, ReadingRow.signature).where(
                col(ReadingRow.device_id).in_(sorted({v.device for v in valid})),
                col(ReadingRow.sequence).in_(sorted({v.reading.sequence for v in valid})),
            )
        )
        return {(device, int(seq)): signature for device, seq, signature in rows}

    @staticmethod
    def _highest(session: Session, devices: set[str]) -> dict[str, int]:
        """The highest stored sequence of each of ``devices`` that has readings (for ``gap``/``late``).

        One scalar subquery per device: each is an index seek on ``(device_id, sequence)``, where a
        ``GROUP BY`` would read every reading of those devices."""
        if not devices:
            return {}
        ordered = sorted(devices)
        highest = [
            select(func.max(READINGS.c.sequence)).where(READINGS.c.device_id == device).scalar_subquery()
            for device in ordered
        ]
        row = session.execute(select(*highest)).one()
        return {device: int(seq) for device, seq in zip(ordered, row, strict=True) if seq is not None}

    @staticmethod
    def _count(session: Session, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (its row is made on first use; a race with another instance
        making it too fails the transaction with an ``IntegrityError``, and the group is judged again)."""
        added = session.execute(
            update(COUNTERS).where(COUNTERS.c.name == name).values(count=COUNTERS.c.count + n)
        )
        if cast(CursorResult[Any], added).rowcount == 0:
            session.execute(insert(COUNTERS).values(name=name, count=n))


def _rejected(reason: str, detail: str, payload: bytes) -> Outcome:
    log.warning("rejected (%s): %s; payload %r", reason, detail, payload[:120])
    return Outcome(False, reason, detail)


def _row(v: _Valid, received_at: datetime) -> dict[str, object]:
    """The ``iot_readings`` row of an accepted reading (the columns of ``ReadingRow``)."""
    r = v.reading
    return {
        "device_id": v.device,
        "owner": v.owner,
        "sequence": r.sequence,
        "timestamp": r.timestamp,
        "metric": r.metric,
        "value_milli": r.value_milli,
        "unit": r.unit,
        "binding": "0x" + r.binding.hex(),
        "signer": v.signer,
        "signature": v.signature,
        "received_at": received_at,
    }


def counters(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {row.name: row.count for row in session.exec(select(IngestCounter))}
