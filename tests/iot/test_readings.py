"""Signed readings: EIP-712 signatures, fast verification against the reference, payload parsing."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.keys import KeyStore
from iot.identity import device_id, device_key, key_name
from iot.readings import (
    MAX_PAYLOAD_BYTES,
    Domain,
    PayloadError,
    Reading,
    ReadingVerifier,
    parse_payload,
    recover_slow,
    sign_reading,
    to_payload,
)
from iot.topics import parse_readings_topic, readings_topic, shared

DOMAIN = Domain(chain_id=31337, registry="0x5FbDB2315678afecb367f032d93F642f64180aa3")
OWNER = b"\x0a" * 32
DEVICE = device_id(OWNER, "METER-0001")
ACCOUNT = Account.from_key(b"\x11" * 32)


def _reading(**changes: object) -> Reading:
    base = Reading(DEVICE, 7, 1_790_000_000, "electricity_kwh", 12_345, "kWh", b"\x0f" * 32)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_signed_reading_travels_as_json_and_verifies() -> None:
    reading = _reading()
    payload = to_payload(reading, sign_reading(ACCOUNT, DOMAIN, reading))

    parsed, signature = parse_payload(payload)

    assert parsed == reading
    assert str(parsed.value) == "12.345"
    assert ReadingVerifier(DOMAIN).recover(parsed, signature) == ACCOUNT.address


@settings(max_examples=40, deadline=None)
@given(
    seq=st.integers(0, 2**64 - 1),
    ts=st.integers(0, 2**40),
    value=st.integers(-(2**200), 2**200),
    metric=st.text(min_size=1, max_size=20),
    key=st.binary(min_size=32, max_size=32).filter(lambda k: 0 < int.from_bytes(k, "big") < 2**255),
)
def test_fast_verification_recovers_the_same_address_as_eth_account(
    seq: int, ts: int, value: int, metric: str, key: bytes
) -> None:
    account = Account.from_key(key)
    reading = _reading(sequence=seq, timestamp=ts, value_milli=value, metric=metric)
    signature = sign_reading(account, DOMAIN, reading)

    assert ReadingVerifier(DOMAIN).recover(reading, signature) == recover_slow(DOMAIN, reading, signature)
    assert recover_slow(DOMAIN, reading, signature) == account.address


@pytest.mark.parametrize(
    "changes",
    [
        {"sequence": 8},
        {"timestamp": 1},
        {"value_milli": 12_346},
        {"metric": "diesel_l"},
        {"unit": "MWh"},
        {"binding": b"\x01" * 32},
        {"device_id": b"\x02" * 32},
    ],
)
def test_any_change_to_a_signed_reading_changes_the_signer(changes: dict[str, object]) -> None:
    signature = sign_reading(ACCOUNT, DOMAIN, _reading())

    assert ReadingVerifier(DOMAIN).recover(_reading(**changes), signature) != ACCOUNT.address


@pytest.mark.parametrize("value", [-(2**255), -1, 0, 1, 2**255 - 1])
@pytest.mark.parametrize("seq", [0, 2**64 - 1])
def test_the_hand_encoded_digest_is_eth_abis_encoding(value: int, seq: int) -> None:
    """The fast digest concatenates words; eth_abi's encoding of the same struct is the reference."""
    from eth_abi import encode
    from eth_utils import keccak

    from iot.readings import READING_TYPE

    reading = _reading(sequence=seq, timestamp=2**64 - 1, value_milli=value, metric="diesel_l", unit="l")
    struct = encode(
        ["bytes32", "bytes32", "uint64", "uint64", "bytes32", "int256", "bytes32", "bytes32"],
        [
            keccak(text=READING_TYPE),
            reading.device_id,
            reading.sequence,
            reading.timestamp,
            keccak(text=reading.metric),
            reading.value_milli,
            keccak(text=reading.unit),
            reading.binding,
        ],
    )
    verifier = ReadingVerifier(DOMAIN)
    assert verifier.digest(reading) == keccak(b"\x19\x01" + DOMAIN.separator + keccak(struct))
    assert verifier.digest(reading) == verifier.digest(reading)  # the cached string hashes agree


def test_the_domain_binds_readings_to_one_deployment() -> None:
    signature = sign_reading(ACCOUNT, DOMAIN, _reading())
    other = Domain(chain_id=1337, registry=DOMAIN.registry)

    assert ReadingVerifier(other).recover(_reading(), signature) != ACCOUNT.address


def _payload(**changes: object) -> bytes:
    data = json.loads(to_payload(_reading(), sign_reading(ACCOUNT, DOMAIN, _reading())))
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "malformed"),
        (b"[1, 2]", "malformed"),
        (_payload(sig=None), "unsigned"),
        (_payload(seq=-1), "malformed"),
        (_payload(seq="7"), "malformed"),
        (_payload(ts=True), "malformed"),
        (_payload(value="12.3456"), "malformed"),
        (_payload(value="NaN"), "malformed"),
        (_payload(device="0x1234"), "malformed"),
        (_payload(value=str(2**255)), "malformed"),  # no int256: refused, not an encoder's crash
        (_payload(sig="0x" + "00" * 64), "bad_signature"),
        (_payload(sig="nothex"), "bad_signature"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "oversized"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as err:
        reading, signature = parse_payload(raw)
        ReadingVerifier(DOMAIN).recover(reading, signature)

    assert err.value.reason == reason


def test_high_s_signatures_are_refused() -> None:
    signature = bytearray(sign_reading(ACCOUNT, DOMAIN, _reading()))
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(signature[32:64], "big")
    signature[32:64] = (n - s).to_bytes(32, "big")  # the malleable twin
    signature[64] = 27 + 28 - signature[64]

    with pytest.raises(PayloadError) as err:
        ReadingVerifier(DOMAIN).recover(_reading(), bytes(signature))

    assert err.value.reason == "bad_signature"


def test_topics_and_shared_subscriptions() -> None:
    topic = readings_topic(OWNER, DEVICE)

    assert topic == f"tradeledger/v1/0x{OWNER.hex()}/devices/0x{DEVICE.hex()}/readings"
    assert parse_readings_topic(topic) == ("0x" + OWNER.hex(), "0x" + DEVICE.hex())
    assert parse_readings_topic("tradeledger/v1/x/devices/y/other") is None
    assert shared("oracles") == "$share/oracles/tradeledger/v1/+/devices/+/readings"


def test_device_keys_are_encrypted_and_rotate_by_generation(tmp_path: object) -> None:
    store = KeyStore(tmp_path / "devices", "device-password", scrypt_n=1024)  # type: ignore[operator]
    first, rotated = device_key(store, DEVICE), device_key(store, DEVICE, 1)

    assert first.address != rotated.address
    assert device_key(store, DEVICE).address == first.address  # the same key on reload
    raw = (tmp_path / "devices" / f"{key_name(DEVICE)}.json").read_text()  # type: ignore[operator]
    assert first.key.hex() not in raw and "crypto" in json.loads(raw)
    assert device_id(OWNER, " METER-0001 ") == DEVICE
