"""The IoT oracle process: MQTT shared subscription -> checks -> persist -> acknowledge -> batch -> anchor.

Several instances share one subscription (``$share/<group>/…``); each keeps a persistent session
(a stable client id, MQTT 5 ``clean_start=False``), takes messages with QoS 1 and acknowledges a
message only after its outcome is in the database, so a crash loses nothing and a redelivery is
recognised. The MQTT network loop runs in paho's thread; batching runs in the caller's thread.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine

from chain.client import Chain
from iot.broker import MQTT_5, MQTT_311
from iot.readings import Domain, ReadingVerifier
from iot.topics import READINGS_FILTER, shared
from oracles.iot.batcher import Batcher
from oracles.iot.ingest import ChainDevices, Ingestor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OracleConfig:
    broker_url: str = "mqtt://127.0.0.1:1883"  # mqtts:// for TLS; user:password@ in the URL for auth
    group: str = "tradeledger-iot-oracles"
    client_id: str = "tradeledger-iot-oracle-1"
    batch_size: int = 256
    batch_age: float = 5.0
    max_skew: int = 300
    session_expiry: int = 3600
    ca_file: str | None = None
    protocol: int = MQTT_5  # MQTT_311 (the embedded broker): one instance, a plain subscription


class IotOracle:
    def __init__(
        self,
        config: OracleConfig,
        engine: Engine,
        chain: Chain,
        key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        domain = Domain(chain.chain_id, chain.require_manifest().address("DeviceRegistry"))
        devices = ChainDevices(chain.devices())
        self.ingestor = Ingestor(
            engine, ReadingVerifier(domain), devices, max_skew=config.max_skew, clock=clock
        )
        self.batcher = Batcher(
            engine, chain.carbon(key), max_size=config.batch_size, max_age=config.batch_age
        )
        self.connected = threading.Event()

    def _client(self) -> mqtt.Client:
        url = urlparse(self.config.broker_url)
        v311 = self.config.protocol == MQTT_311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            protocol=mqtt.MQTTv311 if v311 else mqtt.MQTTv5,
            clean_session=False if v311 else None,  # MQTT 3.1.1's persistent session
            manual_ack=True,
        )
        if url.username:
            client.username_pw_set(url.username, url.password)
        if url.scheme == "mqtts":
            client.tls_set(ca_certs=self.config.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        host, port = url.hostname or "127.0.0.1", url.port or (8883 if url.scheme == "mqtts" else 1883)
        if v311:
            client.connect_async(host, port)
            return client
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.config.session_expiry
        client.connect_async(host, port, clean_start=False, properties=properties)
        return client

    @property
    def topic(self) -> str:
        """The shared subscription (MQTT 5), or the plain filter on a broker without them (MQTT 3.1.1)."""
        return READINGS_FILTER if self.config.protocol == MQTT_311 else shared(self.config.group)

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _p: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("broker refused the connection: %s", reason)
            return
        client.subscribe(self.topic, qos=1)
        self.connected.set()
        log.info("subscribed to %s", self.topic)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object, _p: object
    ) -> None:
        self.connected.clear()
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            outcome = self.ingestor.handle(message.topic, bytes(message.payload))
        except Exception:  # a database or chain hiccup: do not ack, the broker redelivers
            log.exception("could not handle a message; it will be redelivered")
            return
        if not outcome.accepted and outcome.reason not in ("", "duplicate"):
            log.debug("rejected %s: %s", outcome.reason, outcome.detail)
        client.ack(message.mid, message.qos)

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Consume and anchor until ``stop`` is set; then flush what is persisted and not yet anchored."""
        client = self._client()
        client.loop_start()
        try:
            while not stop.is_set():
                try:
                    self.batcher.step()
                except Exception:
                    log.exception("batching failed; retrying")
                stop.wait(interval + random.uniform(0, interval / 4))
        finally:
            client.disconnect()
            client.loop_stop()
            self.batcher.step(force=True)
