"""Checks one MQTT message and, when it is a valid reading, persists it (before it is acknowledged).

Checks, in order: size and JSON shape, signature (fast EIP-712 recovery), topic, clock skew,
plausible range (the local checks first), device known and the signing key valid at the reading's
time (from DeviceRegistry, cached), binding, sequence (replays rejected, gaps counted).
Every rejection is counted by reason.
A message the broker delivers twice (same device, sequence and signature) is accepted once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.carbon.models import IngestCounter, ReadingRow
from chain.carbon_contracts import DeviceRegistryContract
from chain.errors import ChainRevert
from iot.metrics import plausible
from iot.readings import PayloadError, Reading, ReadingVerifier, parse_payload
from iot.topics import parse_readings_topic

log = logging.getLogger(__name__)

REASONS = (
    "oversized",
    "malformed",
    "unsigned",
    "bad_signature",
    "wrong_topic",
    "unknown_device",
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

    def signer_valid(self, device_id: bytes, signer: str, timestamp: int) -> bool: ...


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

    def signer_valid(self, device_id: bytes, signer: str, timestamp: int) -> bool:
        """Whether ``signer`` was a key of the device at ``timestamp``, from its cached key record.

        The rule of ``DeviceRegistry.isValidSigner``, evaluated here: one chain call per key and TTL."""
        key = (device_id, signer)
        with self._lock:
            cached = self._keys.get(key)
        if cached is None or time.monotonic() - cached[0] >= self.ttl:
            _generation, valid_from, revoked_at = self.registry.call("keyRecord", device_id, signer)
            cached = (time.monotonic(), (int(valid_from), int(revoked_at)))
            with self._lock:
                self._keys[key] = cached
        valid_from, revoked_at = cached[1]
        return valid_from != 0 and timestamp >= valid_from and (revoked_at == 0 or timestamp < revoked_at)


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    reason: str = ""  # the rejection reason; "duplicate" for a redelivered, already accepted reading
    detail: str = ""


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
        self._last_seq: dict[str, int] = {}
        self._lock = threading.Lock()

    def handle(self, topic: str, payload: bytes) -> Outcome:
        """Check and persist one message; returns once the outcome is durable (then it may be acked)."""
        try:
            reading, signature = parse_payload(payload)
            signer = self.verifier.recover(reading, signature)
        except PayloadError as exc:
            return self._reject(exc.reason, str(exc), payload)
        device_hex = "0x" + reading.device_id.hex()
        parsed = parse_readings_topic(topic)
        if parsed is None or parsed[1] != device_hex:
            return self._reject("wrong_topic", f"{topic} is not the readings topic of {device_hex}", payload)
        if abs(reading.timestamp - self.clock()) > self.max_skew:
            return self._reject(
                "clock_skew", f"timestamp {reading.timestamp} is off by more than {self.max_skew}s", payload
            )
        if not plausible(reading.metric, reading.unit, reading.value_milli):
            return self._reject(
                "out_of_range", f"{reading.metric} {reading.value} {reading.unit} is implausible", payload
            )
        info = self.devices.device(reading.device_id)
        if info is None:
            return self._reject("unknown_device", f"device {device_hex} is not registered", payload)
        if parsed[0] != info.owner:
            return self._reject(
                "wrong_topic", f"{device_hex} belongs to {info.owner}, not {parsed[0]}", payload
            )
        if not info.active or not self.devices.signer_valid(reading.device_id, signer, reading.timestamp):
            return self._reject("revoked_key", f"{signer} was not a valid key of {device_hex} then", payload)
        if "0x" + reading.binding.hex() != info.binding:
            return self._reject("wrong_binding", f"{device_hex} is bound to {info.binding}", payload)
        return self._store(reading, signer, signature, info.owner, payload)

    def _store(self, r: Reading, signer: str, signature: bytes, owner: str, payload: bytes) -> Outcome:
        device_hex = "0x" + r.device_id.hex()
        with self._lock, Session(self.engine) as session:
            existing = session.exec(
                select(ReadingRow).where(
                    ReadingRow.device_id == device_hex, ReadingRow.sequence == r.sequence
                )
            ).first()
            if existing is not None:
                if existing.signature == "0x" + signature.hex():
                    return Outcome(False, "duplicate", "already accepted (a redelivery)")
                return self._reject(
                    "replayed", f"sequence {r.sequence} of {device_hex} was used already", payload
                )
            last = self._last_sequence(session, device_hex)
            if last is not None and r.sequence < last:
                return self._reject(
                    "replayed", f"sequence {r.sequence} after {last} for {device_hex}", payload
                )
            if last is not None and r.sequence > last + 1:
                self._count(session, "gap")
                log.info("gap for %s: %s after %s", device_hex, r.sequence, last)
            session.add(
                ReadingRow(
                    device_id=device_hex,
                    owner=owner,
                    sequence=r.sequence,
                    timestamp=r.timestamp,
                    metric=r.metric,
                    value_milli=r.value_milli,
                    unit=r.unit,
                    binding="0x" + r.binding.hex(),
                    signer=signer,
                    signature="0x" + signature.hex(),
                    received_at=datetime.now(UTC),
                )
            )
            self._count(session, "accepted")
            try:
                session.commit()
            except IntegrityError:  # another oracle instance stored it a moment ago
                session.rollback()
                return Outcome(False, "duplicate", "stored by another instance")
            self._last_seq[device_hex] = max(r.sequence, last or 0)
        return Outcome(True)

    def _last_sequence(self, session: Session, device_hex: str) -> int | None:
        if device_hex in self._last_seq:
            return self._last_seq[device_hex]
        value = session.exec(
            select(func.max(ReadingRow.sequence)).where(ReadingRow.device_id == device_hex)
        ).one()
        return int(value) if value is not None else None

    def _reject(self, reason: str, detail: str, payload: bytes) -> Outcome:
        log.warning("rejected (%s): %s; payload %r", reason, detail, payload[:120])
        with Session(self.engine) as session:
            self._count(session, f"rejected:{reason}")
            session.commit()
        return Outcome(False, reason, detail)

    @staticmethod
    def _count(session: Session, name: str) -> None:
        row = session.get(IngestCounter, name)
        if row is None:
            session.add(IngestCounter(name=name, count=1))
        else:
            row.count += 1
            session.add(row)
        session.flush()


def counters(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {row.name: row.count for row in session.exec(select(IngestCounter))}
