"""Emission statements recompute to the same grams from the same readings and factor set."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from api.carbon.emissions import FACTORS_DIR, ZERO, ReadingInput, compute, load_factor_set

FACTORS = load_factor_set()
PLANT, SHIPMENT = "0x" + "aa" * 32, "0x" + "bb" * 32


def _readings() -> list[ReadingInput]:
    return [
        ReadingInput("electricity_kwh", 10_000, PLANT, 100, "0x01"),  # 10 kWh
        ReadingInput("electricity_kwh", 2_500, PLANT, 150, "0x02"),  # 2.5 kWh
        ReadingInput("natural_gas_m3", 1_000, PLANT, 120, "0x01"),  # 1 m3
        ReadingInput("diesel_l", 500, PLANT, 130, "0x02"),  # 0.5 L
        ReadingInput("fuel_l", 20_000, SHIPMENT, 140, "0x03"),  # 20 L, a truck on a shipment
        ReadingInput("temperature_c", -18_000, SHIPMENT, 140, "0x03"),  # no emissions
        ReadingInput("electricity_kwh", 99_000, PLANT, 999, "0x04"),  # outside the period
    ]


def test_scope_two_is_electricity_at_the_regions_grid_factor() -> None:
    statement = compute(_readings(), FACTORS, scope=2, period=(0, 500), region="CN")

    assert statement.grams == round(Decimal("12.5") * Decimal("536.6"))  # 6,707.5 -> 6,708 g
    assert statement.batches == ("0x01", "0x02") and statement.readings == 2
    assert statement.factor_set == "0x" + FACTORS.digest.hex()


def test_scope_one_sums_combustion_per_metric() -> None:
    statement = compute(_readings(), FACTORS, scope=1, period=(0, 500), region="CN")

    # CO2e: 0.5 L x 2,685.65 g, 20 L x 2,719.15 g, 1 m3 x 1,909.34 g (CO2, CH4 and N2O)
    assert statement.by_metric == {"diesel_l": 1343, "fuel_l": 54383, "natural_gas_m3": 1909}
    assert statement.grams == 1343 + 54383 + 1909


def test_a_subject_statement_counts_only_its_bound_devices() -> None:
    statement = compute(_readings(), FACTORS, scope=1, period=(0, 500), region="CN", subject=SHIPMENT)

    assert statement.by_metric == {"fuel_l": 54383} and statement.batches == ("0x03",)


def test_a_region_without_a_factor_counts_nothing() -> None:
    assert compute(_readings(), FACTORS, scope=2, period=(0, 500), region="XX").grams == 0
    assert compute(_readings(), FACTORS, scope=3, period=(0, 500), region="CN").readings == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_recomputation_gives_the_same_statement_whatever_the_order(seed: int) -> None:
    shuffled = _readings()
    random.Random(seed).shuffle(shuffled)
    a = compute(_readings(), FACTORS, scope=1, period=(0, 500), region="CN", subject=ZERO)
    b = compute(shuffled, FACTORS, scope=1, period=(0, 500), region="CN", subject=ZERO)

    assert a == b and a.result_hash() == b.result_hash()


def test_every_factor_of_every_set_cites_its_source() -> None:
    sets = [load_factor_set(path) for path in sorted(FACTORS_DIR.glob("tradeledger-factors-*.json"))]
    assert [s.version for s in sets] == ["2026.1", "2026.2"] and FACTORS.version == "2026.2"
    assert {f"freight_tkm:{mode}" for mode in ("road", "rail", "air")} <= set(FACTORS.factors)
    for factor_set in sets:
        for key, factor in factor_set.factors.items():
            assert factor["source"] and factor["scope"] in (1, 2, 3) and factor["grams_per_unit"] > 0, key


def test_fuel_factors_are_their_gases_in_co2e_with_ar6_gwp() -> None:
    gwp = {"CO2": 1, "CH4": 29.8, "N2O": 273}
    fuels = {k: f for k, f in FACTORS.factors.items() if "gases_grams_per_unit" in f}

    assert set(fuels) == {"natural_gas_m3", "diesel_l", "fuel_l"}
    for key, factor in fuels.items():
        co2e = sum(grams * gwp[gas] for gas, grams in factor["gases_grams_per_unit"].items())
        assert abs(co2e - factor["grams_per_unit"]) < 0.01, key
