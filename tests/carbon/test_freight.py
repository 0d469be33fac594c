"""Scope 3 freight per shipment and per order (pure): measured fuel first, then distance x weight x the
mode's default intensity; GPS distances by haversine; the 2026.2 factor set."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from decimal import Decimal

from eth_utils import keccak

from api.carbon.emissions import (
    DEFAULT_FACTOR_SET,
    FACTORS_DIR,
    FreightShipment,
    ReadingInput,
    compute_freight,
    factor_set_by_digest,
    gps_track,
    load_factor_set,
    shipment_freight,
)
from api.trade.documents import TRANSPORT_MODES, canonical_bytes, parse_shipment

FACTORS = load_factor_set()
OLD = load_factor_set(FACTORS_DIR / "tradeledger-factors-2026.1.json")
PERIOD = (0, 10_000)
SEA = FreightShipment("BL-1", "deep_sea_container", Decimal("12500"))
REEFER, OTHER_REEFER, TRUCK = "0x" + "d1" * 32, "0x" + "d2" * 32, "0x" + "d3" * 32
# Radians per degree times the haversine's Earth radius: km per degree along a meridian or the equator.
KM_PER_DEGREE = 6371.0 * math.pi / 180


def fix(
    device: str, t: int, lat_milli: int, lon_milli: int, binding: str = SEA.binding
) -> list[ReadingInput]:
    return [
        ReadingInput("gps_lat", lat_milli, binding, t, "0x0a", device),
        ReadingInput("gps_lon", lon_milli, binding, t, "0x0b", device),
    ]


def equator_then_meridian(device: str = REEFER) -> list[ReadingInput]:
    """(0, 0) -> (0, 1) -> (1, 1): one degree east along the equator, then one degree north."""
    return [*fix(device, 300, 1000, 1000), *fix(device, 100, 0, 0), *fix(device, 200, 0, 1000)]  # unordered


def truck(
    fuel_milli: int | None, km_milli: int | None, binding: str = SEA.binding, t: int = 150
) -> list[ReadingInput]:
    readings = []
    if fuel_milli is not None:
        readings.append(ReadingInput("fuel_l", fuel_milli, binding, t, "0x0c", TRUCK))
    if km_milli is not None:
        readings.append(ReadingInput("distance_km", km_milli, binding, t, "0x0c", TRUCK))
    return readings


def test_the_gps_track_is_the_haversine_sum_over_one_devices_positions_in_time_order() -> None:
    km, used = gps_track(equator_then_meridian())

    # Along the equator and along a meridian the great-circle distance is R x the angle in radians.
    assert km == Decimal(str(round(2 * KM_PER_DEGREE, 3))) == Decimal("222.390")
    assert len(used) == 6


def test_a_diagonal_leg_matches_the_spherical_law_of_cosines() -> None:
    lat1, lon1, lat2, lon2 = 22.5, 114.0, 51.9, 4.5  # Shenzhen to Rotterdam, as the crow flies
    p1, p2 = math.radians(lat1), math.radians(lat2)
    expected = 6371.0 * math.acos(
        math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(math.radians(lon2 - lon1))
    )

    km, _ = gps_track([*fix(REEFER, 1, 22_500, 114_000), *fix(REEFER, 2, 51_900, 4_500)])

    assert abs(km - Decimal(str(expected))) < Decimal("0.001")
    assert Decimal("9100") < km < Decimal("9300")  # about 9,200 km


def test_positions_pair_by_device_and_timestamp_and_the_longest_track_counts() -> None:
    readings = [
        *equator_then_meridian(),
        ReadingInput("gps_lat", 5_000, SEA.binding, 400, "0x0a", REEFER),  # no longitude at t=400: left out
        *fix(OTHER_REEFER, 100, 0, 0),
        *fix(OTHER_REEFER, 200, 0, 500),  # a second container on board: 0.5 degrees only
    ]
    readings.append(ReadingInput("gps_lon", 0, SEA.binding, 250, "0x0b", OTHER_REEFER))  # no latitude

    km, used = gps_track(readings)

    assert km == Decimal("222.390") and {r.device for r in used} == {REEFER} and len(used) == 6


def test_without_fuel_the_gps_distance_goes_by_weight_and_the_modes_default_intensity() -> None:
    readings = [
        *equator_then_meridian(),
        ReadingInput("temperature_c", -18_000, SEA.binding, 100, "0x0d", REEFER),  # no emissions
        *fix(REEFER, 20_000, 50_000, 50_000),  # outside the period
        *fix(REEFER, 250, 10_000, 10_000, binding="0x" + "ee" * 32),  # another shipment's
    ]

    line = shipment_freight(readings, FACTORS, SEA, period=PERIOD, region="CN")

    # 222.390 km x 12.5 t x 8 g/tkm (deep-sea container) = 22,239.0 g
    assert (line.default_km, line.tonnes, line.default_grams, line.fuel_grams) == (
        Decimal("222.390"),
        Decimal("12.5"),
        22_239,
        0,
    )
    assert line.grams == 22_239 and line.readings == 6 and line.batches == ("0x0a", "0x0b")


def test_truck_distance_readings_come_before_the_gps_track_when_there_is_no_fuel() -> None:
    road = FreightShipment("BL-2", "road", Decimal("2000"))
    readings = [*truck(None, 100_000, road.binding), *truck(None, 50_000, road.binding, t=160)]
    readings += fix(REEFER, 1, 0, 0, road.binding) + fix(REEFER, 2, 0, 9_000, road.binding)

    line = shipment_freight(readings, FACTORS, road, period=PERIOD, region="CN")

    assert (line.default_km, line.default_grams, line.readings) == (Decimal("150"), 18_600, 2)  # 150 x 2 x 62


def test_measured_fuel_comes_first() -> None:
    line = shipment_freight(truck(20_000, 100_000), FACTORS, SEA, period=PERIOD, region="CN")

    # 20 L x 2,676.5 g/L; the trucks' 100 km are covered by the fuel, and no GPS track says more
    assert (line.fuel_grams, line.default_km, line.default_grams, line.grams) == (54_383, 0, 0, 54_383)
    assert line.readings == 1


def test_mixed_fuel_for_the_truck_legs_and_defaults_for_the_rest_of_the_gps_track() -> None:
    readings = [*equator_then_meridian(), *truck(20_000, 150_000)]

    line = shipment_freight(readings, FACTORS, SEA, period=PERIOD, region="CN")

    # fuel: 53,530 g; the sea leg: (222.390 - 150) km x 12.5 t x 8 g/tkm = 7,239.0 g
    assert (line.fuel_grams, line.default_km, line.default_grams) == (54_383, Decimal("72.390"), 7_239)
    assert line.grams == 61_622 and line.readings == 8


def test_without_mode_or_weight_only_measured_fuel_counts() -> None:
    bare = FreightShipment("BL-1")
    gps_only = shipment_freight(equator_then_meridian(), FACTORS, bare, period=PERIOD, region="CN")
    mixed = shipment_freight(
        [*equator_then_meridian(), *truck(20_000, 150_000)], FACTORS, bare, period=PERIOD, region="CN"
    )

    assert (gps_only.grams, gps_only.readings, gps_only.default_km) == (0, 0, Decimal("222.390"))
    assert (mixed.grams, mixed.readings, mixed.default_km) == (54_383, 1, Decimal("72.390"))
    statement = compute_freight(
        equator_then_meridian(), FACTORS, [bare], period=PERIOD, region="CN", subject="0x"
    )
    assert statement.batches == () and statement.freight == () and statement.grams == 0


def test_the_earlier_factor_set_has_no_freight_intensities() -> None:
    line = shipment_freight(equator_then_meridian(), OLD, SEA, period=PERIOD, region="CN")

    assert line.readings == 0 and line.grams == 0


def test_grams_round_half_up_per_shipment_and_an_order_sums_its_shipments() -> None:
    a = FreightShipment("BL-A", "rail", Decimal("750"))
    b = FreightShipment("BL-B", "rail", Decimal("750"))
    readings = [*truck(None, 1_000, a.binding), *truck(None, 1_000, b.binding)]  # 1 km each

    one = compute_freight(readings, FACTORS, [a], period=PERIOD, region="CN", subject="0x01")
    order = compute_freight(readings, FACTORS, [a, b, a], period=PERIOD, region="CN", subject="0x02")

    assert one.grams == 17  # 1 km x 0.75 t x 22 g/tkm = 16.5 g, rounded half up
    assert order.grams == 34 and order.by_metric == {"freight_tkm:rail": 34}  # 17 + 17, a counted once
    assert [line.shipment for line in order.freight] == ["BL-A", "BL-B"]


def test_the_canonical_form_holds_what_recomputation_needs() -> None:
    readings = [*equator_then_meridian(), *truck(20_000, 150_000)]
    statement = compute_freight(readings, FACTORS, [SEA], period=PERIOD, region="CN", subject=SEA.binding)

    body = json.loads(statement.canonical())

    assert body["engine"] == "emissions-1.1.0" and body["scope"] == 3 and body["grams"] == 61_622
    assert body["by_metric"] == {"fuel_l": 54_383, "freight_tkm:deep_sea_container": 7_239}
    assert body["freight"] == [
        {
            "shipment": "BL-1",
            "binding": SEA.binding,
            "mode": "deep_sea_container",
            "tonnes": "12.5",
            "fuel_l": "20",
            "fuel_grams": 54_383,
            "distance_km": "150",
            "gps_km": "222.39",
            "default_km": "72.39",
            "default_grams": 7_239,
            "grams": 61_622,
            "readings": 8,
        }
    ]
    other_mode = compute_freight(
        readings,
        FACTORS,
        [replace(SEA, transport_mode="short_sea")],
        period=PERIOD,
        region="CN",
        subject=SEA.binding,
    )
    assert other_mode.grams == 54_383 + 14_478 and other_mode.result_hash() != statement.result_hash()
    shuffled = list(readings)
    random.Random(7).shuffle(shuffled)
    again = compute_freight(shuffled, FACTORS, [SEA], period=PERIOD, region="CN", subject=SEA.binding)
    assert again == statement and again.result_hash() == statement.result_hash()


def test_a_shipments_binding_is_the_hash_of_its_label() -> None:
    assert SEA.binding == "0x" + keccak(text="shipment:BL-1").hex()


def test_factor_set_2026_2_adds_sourced_freight_intensities_and_keeps_2026_1() -> None:
    raw_old = json.loads((FACTORS_DIR / "tradeledger-factors-2026.1.json").read_text())
    raw_new = json.loads(DEFAULT_FACTOR_SET.read_text())

    assert FACTORS.version == "2026.2" and OLD.version == "2026.1"
    assert raw_new["factors"]["electricity_kwh:CN"] == raw_old["factors"]["electricity_kwh:CN"]
    assert set(raw_old["factors"]) < set(raw_new["factors"])  # fuels gain CH4 and N2O (test_emissions)
    expected = {
        "road": 62,
        "rail": 22,
        "inland_waterway": 31,
        "short_sea": 16,
        "deep_sea_container": 8,
        "air": 602,
    }
    assert set(expected) == set(TRANSPORT_MODES)
    for mode, grams in expected.items():
        factor = FACTORS.factors[f"freight_tkm:{mode}"]
        assert (factor["grams_per_unit"], factor["scope"], factor["unit"]) == (grams, 3, "tkm")
        assert "Cefic and ECTA" in factor["source"] and "McKinnon and Piecyk 2010" in factor["source"]
        assert "ISO 14083" in factor["method"]
    assert "GLEC" in raw_new["note"] and "not included" in raw_new["note"]
    for key, factor in FACTORS.factors.items():
        assert factor["source"] and factor["scope"] in (1, 2, 3) and factor["grams_per_unit"] > 0, key
    assert factor_set_by_digest(OLD.digest) == OLD and factor_set_by_digest(FACTORS.digest) == FACTORS
    assert factor_set_by_digest(b"\x00" * 32) is None


SHIPMENT = {
    "bl_number": "BL-7",
    "po_number": "PO-7",
    "carrier": "0x" + "c1" * 32,
    "shipper": "0x" + "5a" * 32,
    "consignee": "0x" + "b0" * 32,
    "port_of_loading": "CNSZX",
    "port_of_discharge": "NLRTM",
    "shipped_on_board_at": "2026-04-01T08:00:00+02:00",
    "lines": [
        {"po_line_no": 2, "item": "BLT-M8", "quantity": "50", "unit": "pce"},
        {"po_line_no": 1, "item": "BRK-220", "quantity": "100.0", "unit": "EA"},
    ],
}


def test_a_shipment_without_freight_data_keeps_its_canonical_bytes() -> None:
    # keccak256 of this shipment's canonical bytes before transport_mode and gross_weight_kg existed
    before = "3ed03e59bab92c03b8f008ddb9a7250d2abbecd9f43d5053b5d64400172c4be8"

    plain = canonical_bytes(parse_shipment(SHIPMENT))
    explicit_none = canonical_bytes(
        parse_shipment({**SHIPMENT, "transport_mode": None, "gross_weight_kg": None})
    )
    with_freight = canonical_bytes(
        parse_shipment({**SHIPMENT, "transport_mode": "rail", "gross_weight_kg": "12500.50"})
    )

    assert keccak(plain).hex() == keccak(explicit_none).hex() == before
    assert b'"gross_weight_kg":"12500.5"' in with_freight and b'"transport_mode":"rail"' in with_freight
