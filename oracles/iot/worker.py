"""The IoT oracle process: MQTT shared subscription -> checks -> persist -> acknowledge -> batch -> anchor.

Several instances share one subscription (``$share/<group>/…``); each keeps a persistent session
(a stable client id, MQTT 5 ``clean_start=False``), takes messages with QoS 1 and acknowledges a
message only after its outcome is in the database, so a crash loses nothing and a redelivery is
recognised. Two threads. The ingest thread owns the connection (``subscriber.py``, reconnecting
with backoff): it reads what has arrived, takes up to ``group_size`` messages (or what arrives
within ``group_wait``), checks them, commits all their outcomes in one transaction (group commit)
and only then acknowledges them, in order, in one write. (paho's network thread beside it handed
the GIL back and forth several times per message.) Batching runs in the caller's thread. It does
not poll blindly: it sleeps until a group was accepted (then it counts the unbatched readings of
every instance: a batch is due when there are ``batch_size`` of them), the oldest unbatched reading
is ``batch_age`` old, or ``interval`` passed, so a burst is anchored as soon as it can be.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import Engine

from chain.client import Chain
from iot.broker import MQTT_5, MQTT_311
from iot.readings import Domain, ReadingVerifier
from iot.topics import READINGS_FILTER, shared
from oracles.iot.batcher import Batcher
from oracles.iot.ingest import ChainDevices, Ingestor
from oracles.iot.subscriber import Message, Session, Subscriber

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
    # QoS 1 messages the broker may send before their acks (MQTT 5 Receive Maximum). Acks come only
    # after a group's commit, so this bounds a group: Mosquitto's own default (20) made every group
    # 20 messages, one transaction each. A few groups' worth keeps the next group filling meanwhile.
    receive_maximum: int = 1_000


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
        # (message, the connection it came on: a PUBACK is only meaningful on that one)
        self._inbox: deque[tuple[Message, int]] = deque()
        self._connection = 0  # incremented when a connection is lost
        self._retry_at, self._retry_delay = 0.0, 1.0  # reconnecting: when next, and the backoff
        self._accepted = threading.Event()  # set when a group accepted readings: a batch may be due

    def _session(self) -> Session:
        url = urlparse(self.config.broker_url)
        tls = None
        if url.scheme == "mqtts":
            tls = ssl.create_default_context(cafile=self.config.ca_file)  # verifies the broker
        return Session(
            host=url.hostname or "127.0.0.1",
            port=url.port or (8883 if url.scheme == "mqtts" else 1883),
            client_id=self.config.client_id,
            topic=self.topic,
            protocol=self.config.protocol,
            username=url.username,
            password=url.password,
            tls=tls,
            session_expiry=self.config.session_expiry,
            receive_maximum=self.config.receive_maximum,
        )

    @property
    def topic(self) -> str:
        """The shared subscription (MQTT 5), or the plain filter on a broker without them (MQTT 3.1.1)."""
        return READINGS_FILTER if self.config.protocol == MQTT_311 else shared(self.config.group)

    def _pump(self, subscriber: Subscriber, timeout: float) -> None:
        """Serve the connection once: take what arrives within ``timeout`` s into the inbox (with the
        connection it came on), keep it alive; (re)connect, with backoff, when it is down."""
        if not subscriber.connected:
            if time.monotonic() < self._retry_at:
                time.sleep(min(timeout, self._retry_at - time.monotonic()))
                return
            try:
                subscriber.connect()
            except OSError as exc:
                log.warning("cannot reach the broker (%s); retrying in %.0f s", exc, self._retry_delay)
                self._retry_at = time.monotonic() + self._retry_delay
                self._retry_delay = min(30.0, self._retry_delay * 2)
                return
            self._retry_delay = 1.0
            self.connected.set()
            log.info("subscribed to %s", self.topic)
        try:
            messages = subscriber.read(timeout)
        except OSError as exc:
            self._lost(subscriber, exc)
            return
        connection = self._connection
        self._inbox.extend((message, connection) for message in messages)

    def _lost(self, subscriber: Subscriber, reason: object) -> None:
        subscriber.close(graceful=False)
        self.connected.clear()
        self._connection += 1  # messages not acked yet are redelivered on the next connection
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _take(self, subscriber: Subscriber, wait: float) -> list[tuple[Message, int]]:
        """The next group: the first message within ``wait`` s, then what comes within ``group_wait``."""
        inbox, size = self._inbox, self.config.group_size
        deadline = time.monotonic() + wait
        while not inbox and (left := deadline - time.monotonic()) > 0:
            self._pump(subscriber, left)
        if not inbox:
            return []
        deadline = time.monotonic() + self.config.group_wait
        while len(inbox) < size and (left := deadline - time.monotonic()) > 0:
            self._pump(subscriber, left)
        return [inbox.popleft() for _ in range(min(size, len(inbox)))]

    def _commit(self, subscriber: Subscriber, group: list[tuple[Message, int]]) -> bool:
        """Persist the group's outcomes in one transaction, then ack them; False (none acked) on failure."""
        try:
            outcomes = self.ingestor.handle_group([(m.topic, m.payload) for m, _ in group])
        except Exception:  # a database or chain hiccup: nothing of the group is persisted or acked
            log.exception("could not persist a group of %d messages; none is acknowledged", len(group))
            return False
        try:  # in order, in one write; a message of a lost connection is redelivered instead
            subscriber.ack(m.mid for m, connection in group if m.qos and connection == self._connection)
        except OSError as exc:
            self._lost(subscriber, exc)  # committed: the redelivery is recognised as a duplicate
        if any(o.accepted for o in outcomes):  # the batcher looks whether a batch is due (two small
            self._accepted.set()  # queries): instances sharing the subscription fill a batch together
        return True

    def _ingest(self, subscriber: Subscriber, halt: threading.Event) -> None:
        """The ingest thread: connection and group commits until ``halt``; then what was read is
        committed and acknowledged too (nothing more is read), and the connection closed."""
        try:
            while not halt.is_set():
                group = self._take(subscriber, 0.1)
                while group and not self._commit(subscriber, group):
                    retry = time.monotonic() + 1.0  # the connection is kept alive meanwhile
                    while (left := retry - time.monotonic()) > 0 and not halt.is_set():
                        self._pump(subscriber, min(left, 0.1))
                    if halt.is_set():
                        return  # the failed group stays unacknowledged: the broker redelivers it
            while self._inbox:
                group = [self._inbox.popleft() for _ in range(min(self.config.group_size, len(self._inbox)))]
                if not self._commit(subscriber, group):
                    return
        finally:
            subscriber.close()

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Consume and anchor until ``stop`` is set; then flush what is persisted and not yet anchored."""
        halt = threading.Event()
        subscriber = Subscriber(self._session())
        ingest = threading.Thread(target=self._ingest, args=(subscriber, halt), name="iot-ingest")
        ingest.start()
        try:
            while not stop.is_set():
                self._accepted.clear()
                try:
                    while self.batcher.step() and not stop.is_set():
                        pass  # a batch was anchored: the next may be ready already
                except Exception:
                    log.exception("batching failed; retrying")
                wait = interval + random.uniform(0, interval / 4)
                if self.batcher.next_due is not None:  # wake when the oldest reading is old enough
                    wait = min(wait, max(0.01, self.batcher.next_due - self.batcher.clock()))
                self._accepted.wait(wait)
        finally:
            halt.set()
            ingest.join()
            self.batcher.step(force=True)
