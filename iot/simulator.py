"""A fleet of simulated devices publishing signed readings to an MQTT broker.

Kinds and what they report (per reading, since the previous one):
- factory electricity meters: kWh following a working-day load curve;
- boiler natural-gas meters (m3) and diesel meters (L);
- reefer containers on shipments: air temperature around -18 °C, and their GPS position;
- trucks: fuel burned (L) and distance driven (km).

Sequence numbers are kept in a state file, so a restarted simulator continues where it stopped
(an oracle rejects a reused sequence as a replay).
"""

from __future__ import annotations

import json
import math
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from paho.mqtt.enums import CallbackAPIVersion

from chain.carbon_contracts import DeviceKind
from iot.broker import MQTT_5, MQTT_311
from iot.readings import Domain, Reading, sign_reading, to_payload
from iot.topics import readings_topic

# kind -> the metrics one reading of it reports
KIND_METRICS: dict[DeviceKind, tuple[tuple[str, str], ...]] = {
    DeviceKind.ELECTRICITY_METER: (("electricity_kwh", "kWh"),),
    DeviceKind.GAS_METER: (("natural_gas_m3", "m3"),),
    DeviceKind.DIESEL_METER: (("diesel_l", "L"),),
    DeviceKind.REEFER_CONTAINER: (("temperature_c", "Cel"), ("gps_lat", "deg"), ("gps_lon", "deg")),
    DeviceKind.TRUCK: (("fuel_l", "L"), ("distance_km", "km")),
}


def binding_id(label: str) -> bytes:
    """The on-chain binding of a facility or shipment label, e.g. ``facility:acme-plant-1``."""
    return keccak(text=label)


@dataclass
class SimulatedDevice:
    device_id: bytes
    owner: bytes
    kind: DeviceKind
    binding: bytes
    key: LocalAccount
    interval: float  # seconds of (simulated) time between readings

    def values(self, now: float, rng: random.Random) -> Iterator[tuple[str, str, int]]:
        """(metric, unit, value in thousandths) for one reading at ``now``."""
        hour = (now / 3600) % 24
        for metric, unit in KIND_METRICS[self.kind]:
            if metric == "electricity_kwh":  # a plant drawing ~400 kW in shifts, ~60 kW at night
                load_kw = 60 + 340 * max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 <= hour <= 20 else 60
                value = load_kw * self.interval / 3600 * rng.uniform(0.95, 1.05)
            elif metric == "natural_gas_m3":
                value = 35 * self.interval / 3600 * rng.uniform(0.8, 1.2)
            elif metric == "diesel_l":
                value = 12 * self.interval / 3600 * rng.uniform(0.7, 1.3)
            elif metric == "temperature_c":
                value = -18 + rng.gauss(0, 0.4)
            elif metric == "gps_lat":
                value = 22.5 + 29.4 * ((now / 86_400 / 30) % 1)  # Shenzhen towards Rotterdam over a month
            elif metric == "gps_lon":
                value = 114.0 - 109.5 * ((now / 86_400 / 30) % 1)
            elif metric == "fuel_l":
                value = 32 / 100 * 70 * self.interval / 3600 * rng.uniform(0.9, 1.1)  # 32 L/100 km at 70 km/h
            else:  # distance_km
                value = 70 * self.interval / 3600 * rng.uniform(0.8, 1.1)
            yield metric, unit, round(value * 1000)


class SequenceBook:
    """The next sequence number per device, kept on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.next: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}

    def take(self, device: bytes) -> int:
        key = "0x" + device.hex()
        seq = self.next.get(key, 1)
        self.next[key] = seq + 1
        return seq

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.next))


@dataclass(frozen=True)
class BrokerOptions:
    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # TLS when set, or when the URL is mqtts://
    protocol: int = MQTT_5  # MQTT_311 for the embedded broker


def connect(options: BrokerOptions, client_id: str = "") -> mqtt.Client:
    url = urlparse(options.url)
    version = mqtt.MQTTv311 if options.protocol == MQTT_311 else mqtt.MQTTv5
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
    if options.username or url.username:
        client.username_pw_set(options.username or url.username, options.password or url.password)
    tls = url.scheme == "mqtts" or options.ca_file is not None
    if tls:
        client.tls_set(ca_certs=options.ca_file, cert_reqs=ssl.CERT_REQUIRED)
    client.connect(url.hostname or "127.0.0.1", url.port or (8883 if tls else 1883))
    client.loop_start()
    return client


def run_fleet(
    devices: list[SimulatedDevice],
    domain: Domain,
    options: BrokerOptions,
    sequences: SequenceBook,
    *,
    rate: float,
    count: int | None = None,
    duration: float | None = None,
    clock: Callable[[], float] = time.time,
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Publish signed readings (QoS 1), ``rate``/s in all, until ``count``, ``duration`` or ``stop``."""
    client = connect(options)
    rng = random.Random(7)
    sent, start = 0, time.monotonic()
    stop = stop or threading.Event()
    try:
        while (
            (count is None or sent < count)
            and (duration is None or time.monotonic() - start < duration)
            and not stop.is_set()
        ):
            for device in devices:
                now = clock()
                for metric, unit, value in device.values(now, rng):
                    reading = Reading(
                        device.device_id,
                        sequences.take(device.device_id),
                        int(now),
                        metric,
                        value,
                        unit,
                        device.binding,
                    )
                    payload = to_payload(reading, sign_reading(device.key, domain, reading))
                    client.publish(
                        readings_topic(device.owner, device.device_id), payload, qos=1
                    ).wait_for_publish(10)
                    sent += 1
                    if progress:
                        progress(sent)
                    if count is not None and sent >= count:
                        return sent
                    pause = start + sent / rate - time.monotonic()
                    if pause > 0 and stop.wait(pause):
                        return sent
        return sent
    finally:
        sequences.save()
        client.loop_stop()
        client.disconnect()
