"""The IoT oracle process: MQTT shared subscription -> checks -> persist -> acknowledge -> batch -> anchor.

Several instances share one subscription (``$share/<group>/…``); each keeps a persistent session
(a stable client id, MQTT 5 ``clean_start=False``), takes messages with QoS 1 and acknowledges a
message only after its outcome is in the database, so a crash loses nothing and a redelivery is
recognised. Three threads: paho's network loop queues each message; the ingest thread takes up
to ``group_size`` of them (or what arrives within ``group_wait``), checks them, commits all their
outcomes in one transaction (group commit) and only then acknowledges them, in order; batching
runs in the caller's thread. It does not poll blindly: it sleeps until a full batch's worth of
readings was accepted, the oldest unbatched reading is ``batch_age`` old, or ``interval`` passed
(readings another instance accepted), so a burst is anchored as soon as it can be.
"""

from __future__ import annotations

import logging
import queue
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
    group_size: int = 200  # messages per database transaction, at most
    group_wait: float = 0.005  # seconds a group waits for more messages after its first


@dataclass(frozen=True)
class _Delivery:
    message: mqtt.MQTTMessage
    connection: int  # the connection it came on: a PUBACK is only meaningful on that one


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
        self._inbox: queue.Queue[_Delivery] = queue.Queue()
        self._connection = 0  # incremented (under _ack_lock) when a connection is lost
        self._ack_lock = threading.Lock()
        self._accepted = 0  # readings this instance accepted since the batcher last looked
        self._batch_ready = threading.Event()  # set when they fill a batch

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
        with self._ack_lock:  # messages not acked yet are redelivered on the next connection
            self._connection += 1
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(_Delivery(message, self._connection))  # paho's thread, like _on_disconnect

    def _take(self, wait: float) -> list[_Delivery]:
        """The next group: the first message within ``wait`` s, then what comes within ``group_wait``."""
        try:
            group = [self._inbox.get(timeout=wait)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.config.group_wait
        while len(group) < self.config.group_size:
            try:
                group.append(self._inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return group

    def _commit(self, client: mqtt.Client, group: list[_Delivery]) -> bool:
        """Persist the group's outcomes in one transaction, then ack them; False (none acked) on failure."""
        try:
            messages = [(d.message.topic, bytes(d.message.payload)) for d in group]
            outcomes = self.ingestor.handle_group(messages)
        except Exception:  # a database or chain hiccup: nothing of the group is persisted or acked
            log.exception("could not persist a group of %d messages; none is acknowledged", len(group))
            return False
        with self._ack_lock:  # ack() queues the PUBACK for paho's network thread: thread-safe
            for d in group:
                if d.connection == self._connection:
                    client.ack(d.message.mid, d.message.qos)
        self._accepted += sum(o.accepted for o in outcomes)  # only this thread adds; a lost race
        if self._accepted >= self.config.batch_size:  # with the reset costs one interval at most
            self._batch_ready.set()
        return True

    def _ingest(self, client: mqtt.Client, halt: threading.Event) -> None:
        """The ingest thread: group commits until ``halt``; then what is queued is committed too."""
        while not halt.is_set():
            group = self._take(0.1)
            while group and not self._commit(client, group):
                if halt.wait(1.0):
                    return  # the failed group stays unacknowledged: the broker redelivers it
        left = self._inbox.qsize()  # what arrives after this stays unacknowledged
        while left > 0 and (group := self._take(0.0)) and self._commit(client, group):
            left -= len(group)

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Consume and anchor until ``stop`` is set; then flush what is persisted and not yet anchored."""
        client = self._client()
        halt = threading.Event()
        ingest = threading.Thread(target=self._ingest, args=(client, halt), name="iot-ingest")
        ingest.start()
        client.loop_start()
        try:
            while not stop.is_set():
                self._accepted = 0
                self._batch_ready.clear()
                try:
                    while self.batcher.step() and not stop.is_set():
                        pass  # a batch was anchored: the next may be ready already
                except Exception:
                    log.exception("batching failed; retrying")
                wait = interval + random.uniform(0, interval / 4)
                if self.batcher.next_due is not None:  # wake when the oldest reading is old enough
                    wait = min(wait, max(0.01, self.batcher.next_due - self.batcher.clock()))
                self._batch_ready.wait(wait)
        finally:
            halt.set()
            ingest.join()
            client.disconnect()
            client.loop_stop()
            self.batcher.step(force=True)
