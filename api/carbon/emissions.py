"""Emission statements from anchored readings and a versioned factor set (pure: no I/O but the
factor file read by ``load_factor_set``).

``compute`` sums grams CO2 per scope from readings (electricity: scope 2, location-based by the
region given; natural gas, diesel and truck fuel: scope 1), optionally only the readings bound to
one subject (a facility or a shipment). The result cites the factor set's file hash and the
batches the readings were anchored in, and carries a hash of its canonical form, so anyone with
the readings (and their proofs) and the factor file recomputes exactly the same statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from eth_utils import keccak

FACTORS_DIR = Path(__file__).parent / "factors"
DEFAULT_FACTOR_SET = FACTORS_DIR / "tradeledger-factors-2026.1.json"
ENGINE_VERSION = "emissions-1.0.0"


@dataclass(frozen=True)
class FactorSet:
    version: str
    digest: bytes  # keccak256 of the file's bytes: what is anchored on chain
    factors: dict[str, dict[str, Any]]

    def factor(self, metric: str, region: str) -> dict[str, Any] | None:
        return self.factors.get(f"{metric}:{region}") or self.factors.get(metric)


def load_factor_set(path: Path = DEFAULT_FACTOR_SET) -> FactorSet:
    raw = path.read_bytes()
    data = json.loads(raw)
    return FactorSet(str(data["version"]), keccak(raw), dict(data["factors"]))


@dataclass(frozen=True)
class ReadingInput:
    """What the computation needs of one anchored reading."""

    metric: str
    value_milli: int
    binding: str
    timestamp: int
    batch_root: str


@dataclass(frozen=True)
class Statement:
    scope: int
    grams: int
    period: tuple[int, int]
    region: str
    subject: str  # 0x… binding, or zero for the whole organisation
    factor_set: str
    batches: tuple[str, ...]
    readings: int
    by_metric: dict[str, int]

    def canonical(self) -> bytes:
        body = {
            "engine": ENGINE_VERSION,
            "scope": self.scope,
            "grams": self.grams,
            "period": list(self.period),
            "region": self.region,
            "subject": self.subject,
            "factor_set": self.factor_set,
            "batches": list(self.batches),
            "readings": self.readings,
            "by_metric": self.by_metric,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def result_hash(self) -> bytes:
        return keccak(self.canonical())


ZERO = "0x" + "00" * 32


def compute(
    readings: Iterable[ReadingInput],
    factors: FactorSet,
    *,
    scope: int,
    period: tuple[int, int],
    region: str,
    subject: str = ZERO,
) -> Statement:
    """Grams CO2 of ``scope`` in ``period`` (inclusive Unix seconds), rounded half up per metric."""
    totals: dict[str, Decimal] = {}
    counted: dict[str, int] = {}
    batches: set[str] = set()
    for r in readings:
        if not period[0] <= r.timestamp <= period[1] or (subject != ZERO and r.binding != subject):
            continue
        factor = factors.factor(r.metric, region)
        if factor is None or int(factor["scope"]) != scope:
            continue
        grams = Decimal(r.value_milli) / 1000 * Decimal(str(factor["grams_per_unit"]))
        totals[r.metric] = totals.get(r.metric, Decimal(0)) + grams
        counted[r.metric] = counted.get(r.metric, 0) + 1
        batches.add(r.batch_root)
    by_metric = {m: int(g.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for m, g in sorted(totals.items())}
    return Statement(
        scope=scope,
        grams=sum(by_metric.values()),
        period=period,
        region=region,
        subject=subject,
        factor_set="0x" + factors.digest.hex(),
        batches=tuple(sorted(batches)),
        readings=sum(counted.values()),
        by_metric=by_metric,
    )
