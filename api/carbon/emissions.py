"""Emission statements from anchored readings and a versioned factor set (pure: no I/O but the
factor files read by ``load_factor_set`` and ``factor_set_by_digest``).

``compute`` sums grams CO2 per scope from readings (electricity: scope 2, location-based by the
region given; natural gas, diesel and truck fuel: scope 1), optionally only the readings bound to
one subject (a facility or a shipment). ``compute_freight`` states scope 3 freight for shipments
(one, or an order's): measured fuel first, default intensities per tonne-km for the distance fuel
does not cover (see ``shipment_freight``). The result cites the factor set's file hash and the
batches the readings were anchored in, and carries a hash of its canonical form, so anyone with
the readings (and their proofs), the shipment documents and the factor file recomputes exactly the
same statement.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from eth_utils import keccak

FACTORS_DIR = Path(__file__).parent / "factors"
DEFAULT_FACTOR_SET = FACTORS_DIR / "tradeledger-factors-2026.2.json"
ENGINE_VERSION = "emissions-1.1.0"  # 1.1.0: scope 3 freight lines in the canonical form
# Engines whose scope 1 and 2 statements this one recomputes identically (only the engine string differs).
EARLIER_ENGINES = ("emissions-1.0.0",)


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


def factor_set_by_digest(digest: bytes) -> FactorSet | None:
    """The factor file in ``factors/`` whose keccak256 is ``digest`` (what a statement cites), if any."""
    for path in sorted(FACTORS_DIR.glob("*.json")):
        if keccak(path.read_bytes()) == digest:
            return load_factor_set(path)
    return None


@dataclass(frozen=True)
class ReadingInput:
    """What the computation needs of one anchored reading."""

    metric: str
    value_milli: int
    binding: str
    timestamp: int
    batch_root: str
    device: str = ""  # 0x… device id: GPS latitude and longitude pair up per device and timestamp


@dataclass(frozen=True)
class FreightShipment:
    """What the freight computation needs of one shipment document."""

    bl_number: str
    transport_mode: str | None = None
    gross_weight_kg: Decimal | None = None

    @property
    def binding(self) -> str:
        """The binding of devices on this shipment: keccak256 of ``shipment:<bl_number>``."""
        return "0x" + keccak(text=f"shipment:{self.bl_number}").hex()


@dataclass(frozen=True)
class FreightLine:
    """One shipment's part of a scope 3 statement: its inputs and grams, all in the canonical form."""

    shipment: str  # bill of lading number
    binding: str
    mode: str | None
    tonnes: Decimal | None  # gross weight / 1000
    fuel_l: Decimal  # measured fuel bound to the shipment
    fuel_grams: int
    distance_km: Decimal  # distance_km readings (trucks) bound to the shipment
    gps_km: Decimal  # the longest GPS track of a device bound to the shipment, to the metre
    default_km: Decimal  # the distance stated with the default intensity
    default_grams: int
    readings: int  # readings that entered the grams
    batches: tuple[str, ...]

    @property
    def grams(self) -> int:
        return self.fuel_grams + self.default_grams

    def canonical(self) -> dict[str, Any]:
        return {
            "shipment": self.shipment,
            "binding": self.binding,
            "mode": self.mode,
            "tonnes": None if self.tonnes is None else _text(self.tonnes),
            "fuel_l": _text(self.fuel_l),
            "fuel_grams": self.fuel_grams,
            "distance_km": _text(self.distance_km),
            "gps_km": _text(self.gps_km),
            "default_km": _text(self.default_km),
            "default_grams": self.default_grams,
            "grams": self.grams,
            "readings": self.readings,
        }


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


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
    freight: tuple[FreightLine, ...] = ()  # scope 3: one line per shipment with readings used
    engine: str = ENGINE_VERSION

    def canonical(self) -> bytes:
        body: dict[str, Any] = {
            "engine": self.engine,
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
        if self.scope == 3:
            body["freight"] = [line.canonical() for line in self.freight]
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


# --- scope 3: freight ---------------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0  # mean Earth radius used by the haversine distance
FREIGHT_METRICS = frozenset({"fuel_l", "distance_km", "gps_lat", "gps_lon"})


def _half_up(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees, on a sphere of ``EARTH_RADIUS_KM``."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def gps_track(readings: Iterable[ReadingInput]) -> tuple[Decimal, list[ReadingInput]]:
    """The longest GPS track among the devices: km (rounded half up to the metre) and its readings.

    ``gps_lat`` and ``gps_lon`` readings pair up by device and timestamp (a latitude without its
    longitude is left out); a device's track is the haversine sum over its consecutive positions
    ordered by timestamp. Several devices on one shipment travel together, so the longest track is
    the shipment's, not their sum. Ties go to the lowest device id.
    """
    halves: dict[str, dict[int, dict[str, ReadingInput]]] = defaultdict(lambda: defaultdict(dict))
    for r in readings:
        if r.metric in ("gps_lat", "gps_lon"):
            halves[r.device][r.timestamp][r.metric] = r
    best: tuple[Decimal, list[ReadingInput]] = (Decimal(0), [])
    for device in sorted(halves):
        fixes = [halves[device][t] for t in sorted(halves[device]) if len(halves[device][t]) == 2]
        km = 0.0
        for a, b in zip(fixes, fixes[1:], strict=False):
            km += haversine_km(
                a["gps_lat"].value_milli / 1000,
                a["gps_lon"].value_milli / 1000,
                b["gps_lat"].value_milli / 1000,
                b["gps_lon"].value_milli / 1000,
            )
        rounded = _half_up(Decimal(repr(km)), "0.001")
        if rounded > best[0]:
            best = (rounded, [r for fix in fixes for r in fix.values()])
    return best


def shipment_freight(
    readings: Iterable[ReadingInput],
    factors: FactorSet,
    shipment: FreightShipment,
    *,
    period: tuple[int, int],
    region: str,
) -> FreightLine:
    """One shipment's freight emissions (grams CO2) in ``period`` from the readings bound to it.

    1. Measured fuel first (GLEC / ISO 14083 prefer it): the sum of ``fuel_l`` readings times the
       ``fuel_l`` factor, rounded half up to the gram.
    2. Then the default-data route for the distance the measured fuel does not cover:
       ``default_km`` x ``gross_weight_kg`` / 1000 x ``freight_tkm:<transport_mode>``, rounded half up
       to the gram, where ``default_km`` is
       - without fuel readings: the sum of ``distance_km`` readings, or, without those, the GPS
         track (``gps_track``: haversine over consecutive positions of one device);
       - with fuel readings: the GPS track less the ``distance_km`` the fuelled trucks reported,
         at least zero (the GPS device travels the whole route, trucks only their legs).
       The route needs the shipment's transport mode, gross weight and a factor for the mode;
       without them only measured fuel counts (and ``default_km`` shows what was left out).

    Only readings whose values entered the grams are counted (and their batches cited); a line
    with no such readings states nothing.
    """
    start, end = period
    bound = [
        r
        for r in readings
        if r.binding == shipment.binding and start <= r.timestamp <= end and r.metric in FREIGHT_METRICS
    ]
    fuel = [r for r in bound if r.metric == "fuel_l"]
    trucked = [r for r in bound if r.metric == "distance_km"]
    fuel_l = sum((Decimal(r.value_milli) / 1000 for r in fuel), Decimal(0))
    distance_km = sum((Decimal(r.value_milli) / 1000 for r in trucked), Decimal(0))
    gps_km, gps_readings = gps_track(bound)

    fuel_factor = factors.factor("fuel_l", region)
    fuel_grams = 0
    used: list[ReadingInput] = []
    if fuel and fuel_factor is not None:
        fuel_grams = int(_half_up(fuel_l * Decimal(str(fuel_factor["grams_per_unit"]))))
        used += fuel
        default_km, distance_used = max(Decimal(0), gps_km - distance_km), trucked + gps_readings
    elif trucked:
        default_km, distance_used = distance_km, trucked
    else:
        default_km, distance_used = gps_km, gps_readings

    mode, weight = shipment.transport_mode, shipment.gross_weight_kg
    tonnes = weight / 1000 if weight is not None else None
    intensity = factors.factors.get(f"freight_tkm:{mode}") if mode else None
    default_grams = 0
    if default_km > 0 and tonnes is not None and intensity is not None:
        default_grams = int(_half_up(default_km * tonnes * Decimal(str(intensity["grams_per_unit"]))))
        used += distance_used
    return FreightLine(
        shipment=shipment.bl_number,
        binding=shipment.binding,
        mode=mode,
        tonnes=tonnes,
        fuel_l=fuel_l,
        fuel_grams=fuel_grams,
        distance_km=distance_km,
        gps_km=gps_km,
        default_km=default_km,
        default_grams=default_grams,
        readings=len(used),
        batches=tuple(sorted({r.batch_root for r in used})),
    )


def compute_freight(
    readings: Iterable[ReadingInput],
    factors: FactorSet,
    shipments: Iterable[FreightShipment],
    *,
    period: tuple[int, int],
    region: str,
    subject: str,
) -> Statement:
    """A scope 3 statement for ``subject`` (a shipment or an order): the sum of its shipments' lines.

    Each shipment is computed by ``shipment_freight`` (rounded per metric per shipment, so an order
    states the sum of its shipments' statements); shipments with no readings used are left out.
    ``by_metric`` sums ``fuel_l`` and ``freight_tkm:<mode>`` grams over the lines.
    """
    pool = list(readings)
    lines: list[FreightLine] = []
    seen: set[str] = set()
    for shipment in shipments:
        if shipment.binding in seen:  # two documents of one bill of lading share its devices
            continue
        seen.add(shipment.binding)
        line = shipment_freight(pool, factors, shipment, period=period, region=region)
        if line.readings:
            lines.append(line)
    by_metric: dict[str, int] = {}
    for line in lines:
        if line.fuel_grams:
            by_metric["fuel_l"] = by_metric.get("fuel_l", 0) + line.fuel_grams
        if line.default_grams:
            key = f"freight_tkm:{line.mode}"
            by_metric[key] = by_metric.get(key, 0) + line.default_grams
    return Statement(
        scope=3,
        grams=sum(line.grams for line in lines),
        period=period,
        region=region,
        subject=subject,
        factor_set="0x" + factors.digest.hex(),
        batches=tuple(sorted({b for line in lines for b in line.batches})),
        readings=sum(line.readings for line in lines),
        by_metric=dict(sorted(by_metric.items())),
        freight=tuple(lines),
    )
