"""The metrics devices report, their units and the plausible range of one reading (in thousandths)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    low_milli: int
    high_milli: int
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("electricity_kwh", "kWh", 0, 5_000_000_000, "energy drawn since the last reading"),
        Metric("natural_gas_m3", "m3", 0, 500_000_000, "natural gas burned since the last reading"),
        Metric("diesel_l", "L", 0, 100_000_000, "diesel burned since the last reading (boilers, generators)"),
        Metric("fuel_l", "L", 0, 2_000_000, "truck fuel burned since the last reading"),
        Metric("temperature_c", "Cel", -60_000, 60_000, "reefer container air temperature"),
        Metric("gps_lat", "deg", -90_000, 90_000, "latitude"),
        Metric("gps_lon", "deg", -180_000, 180_000, "longitude"),
        Metric("distance_km", "km", 0, 2_000_000, "distance driven since the last reading"),
    )
}


def plausible(metric: str, unit: str, value_milli: int) -> bool:
    m = METRICS.get(metric)
    return m is not None and m.unit == unit and m.low_milli <= value_milli <= m.high_milli
