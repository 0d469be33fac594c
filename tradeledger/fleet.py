"""Devices for the CLI: provisioning (add, rotate, revoke, list) and the simulated fleet."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from chain.carbon_contracts import DeviceKind, DeviceView
from chain.config import var_dir
from chain.errors import ChainRevert, InvalidInput, NotFound
from chain.ids import from_hex32, org_id, to_hex32
from chain.index_models import ChainEventRow
from chain.keys import KeyStore
from iot.identity import device_id, device_key, key_name
from iot.simulator import SimulatedDevice, binding_id
from tradeledger.runtime import Stack

KINDS = {k.name.lower(): k for k in DeviceKind if k is not DeviceKind.NONE}


def device_keystore(stack: Stack) -> KeyStore:
    """Device keys live apart from organisation keys (``<var>/devices``), encrypted the same way."""
    return stack.chain.keystore.sibling(var_dir() / "devices")


def resolve_org(org: str) -> bytes:
    return from_hex32(org) if org.startswith("0x") else org_id(org)


def signing_key_of(stack: Stack, org: bytes) -> str:
    from api.runtime import signing_key

    return signing_key(stack.chain, to_hex32(org))


def kind_of(name: str) -> DeviceKind:
    if name not in KINDS:
        raise InvalidInput(
            f"unknown device kind {name!r}; use one of {', '.join(KINDS)}", code="invalid_kind"
        )
    return KINDS[name]


@dataclass(frozen=True)
class Provisioned:
    view: DeviceView
    created: bool


def add_device(stack: Stack, org: str, kind: str, serial: str, binding: str) -> Provisioned:
    owner = resolve_org(org)
    device = device_id(owner, serial)
    registry = stack.chain.devices()
    try:
        return Provisioned(registry.device(device), created=False)
    except ChainRevert as exc:
        if exc.error != "DeviceUnknown":
            raise
    signer = device_key(device_keystore(stack), device).address
    stack.chain.devices(signing_key_of(stack, owner)).register_device(
        device, kind_of(kind), binding_id(binding), signer
    )
    return Provisioned(registry.device(device), created=True)


def rotate_device(stack: Stack, device_hex: str) -> DeviceView:
    device = from_hex32(device_hex)
    view = stack.chain.devices().device(device)
    new_key = device_key(device_keystore(stack), device, view.generation + 1)
    stack.chain.devices(signing_key_of(stack, view.owner)).rotate_key(device, new_key.address)
    return stack.chain.devices().device(device)


def revoke_device(stack: Stack, device_hex: str) -> DeviceView:
    device = from_hex32(device_hex)
    view = stack.chain.devices().device(device)
    stack.chain.devices(signing_key_of(stack, view.owner)).revoke_device(device)
    return stack.chain.devices().device(device)


def list_devices(stack: Stack, org: str | None = None) -> list[DeviceView]:
    stack.indexer.sync()
    owner = to_hex32(resolve_org(org)) if org else None
    with Session(stack.engine) as session:
        rows = session.exec(select(ChainEventRow).where(ChainEventRow.name == "DeviceRegistered")).all()
    ids = [r.args for r in rows if owner is None or owner in r.args]
    return [stack.chain.devices().device(from_hex32(json.loads(a)["id"])) for a in ids]


def simulated(stack: Stack, views: list[DeviceView], interval: float) -> list[SimulatedDevice]:
    keys = device_keystore(stack)
    fleet = []
    for view in views:
        if view.status != "active":
            continue
        key = keys.load(key_name(view.id, view.generation))
        fleet.append(SimulatedDevice(view.id, view.owner, view.kind, view.binding, key, interval))
    if not fleet:
        raise NotFound(
            "no active devices to simulate; add some with `tradeledger devices add`", code="no_devices"
        )
    return fleet


# The demo fleet: what `tradeledger simulate` and `tradeledger up` run (organisation, kind, binding).
DEMO_FLEET = (
    ("acme-motors", "electricity_meter", "facility:acme-plant-1"),
    ("acme-motors", "gas_meter", "facility:acme-plant-1"),
    ("acme-motors", "diesel_meter", "facility:acme-plant-1"),
    ("fastfreight", "truck", "fleet:fastfreight-eu"),
    ("fastfreight", "reefer_container", "shipment:demo"),
)


def demo_fleet(stack: Stack, devices: int, interval: float = 60.0) -> list[SimulatedDevice]:
    """``devices`` demo devices (``SIM-0000``…), registered on chain unless they are already."""
    plan = [DEMO_FLEET[i % len(DEMO_FLEET)] for i in range(devices)]
    views = [
        add_device(stack, org, kind, f"SIM-{i:04d}", binding).view
        for i, (org, kind, binding) in enumerate(plan)
    ]
    return simulated(stack, views, interval=interval)
