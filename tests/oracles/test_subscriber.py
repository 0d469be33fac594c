"""The oracle's MQTT subscriber against the real broker: a persistent session keeps what was not
acknowledged (and what came while away) and hands it over on reconnection, also when it arrives
before the SUBACK; packets larger than one read are put together; acks leave in one write."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from iot.broker import MQTT_5, MQTT_311
from oracles.iot.subscriber import CHUNK, Message, Session, Subscriber

pytestmark = pytest.mark.broker


def _publish(url: str, messages: list[tuple[str, bytes]]) -> None:
    target = urlparse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(target.hostname or "127.0.0.1", target.port or 1883)
    client.loop_start()
    for info in [client.publish(topic, payload, qos=1) for topic, payload in messages]:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def _read(subscriber: Subscriber, count: int, seconds: float = 10) -> list[Message]:
    """The messages read until ``count`` came or ``seconds`` passed."""
    got: list[Message] = []
    deadline = time.monotonic() + seconds
    while len(got) < count and time.monotonic() < deadline:
        got += subscriber.read(0.1)
    return got


def test_a_persistent_session_hands_over_what_was_not_acknowledged(mqtt_url: str) -> None:
    url, tag = urlparse(mqtt_url), secrets.token_hex(4)
    session = Session(
        url.hostname or "127.0.0.1",
        url.port or 1883,
        f"sub-test-{tag}",
        f"sub-test/{tag}/#",
        receive_maximum=100,
    )
    subscriber = Subscriber(session)
    subscriber.connect()
    first = [(f"sub-test/{tag}/a", f"first {n}".encode()) for n in range(50)]
    _publish(mqtt_url, first)
    got = _read(subscriber, 50)
    assert [(m.topic, m.payload) for m in got] == first and {m.qos for m in got} == {1}
    subscriber.ack(m.mid for m in got[:20])  # 30 stay unacknowledged
    assert _read(subscriber, 1, 0.3) == []  # meanwhile the acks reach the broker
    subscriber.close(graceful=False)  # as if the oracle died

    later = [(f"sub-test/{tag}/b", f"later {n}".encode()) for n in range(30)]
    _publish(mqtt_url, later)  # while nobody is connected: kept for the session
    subscriber.connect()  # the broker sends them right after the CONNACK, before the SUBACK
    again = _read(subscriber, 60)
    assert sorted((m.topic, m.payload) for m in again) == sorted(first[20:] + later)
    subscriber.ack(m.mid for m in again)
    subscriber.close()  # a clean close: the acks are not lost
    subscriber.connect()  # everything was acknowledged: nothing comes back
    assert _read(subscriber, 1, 1.0) == []
    subscriber.close()


def test_packets_larger_than_one_read_are_put_together(mqtt_url: str) -> None:
    url, tag = urlparse(mqtt_url), secrets.token_hex(4)
    subscriber = Subscriber(
        Session(url.hostname or "127.0.0.1", url.port or 1883, f"sub-big-{tag}", f"sub-big/{tag}")
    )
    subscriber.connect()
    try:
        payloads = [secrets.token_bytes(3 * CHUNK + 17), b"", b"small"]
        _publish(mqtt_url, [(f"sub-big/{tag}", p) for p in payloads])
        got = _read(subscriber, 3)
        assert [m.payload for m in got] == payloads
        subscriber.ack(m.mid for m in got)
    finally:
        subscriber.close()


@pytest.mark.parametrize("protocol", [MQTT_5, MQTT_311])
def test_credentials_and_both_protocol_versions(mqtt_url: str, protocol: int) -> None:
    """The CONNECT with a user name and password (which the test broker accepts, as it accepts anyone)
    and the MQTT 3.1.1 packet forms are what the broker understands: it delivers to the subscription."""
    url, tag = urlparse(mqtt_url), secrets.token_hex(4)
    subscriber = Subscriber(
        Session(
            url.hostname or "127.0.0.1",
            url.port or 1883,
            f"sub-cred-{tag}",
            f"sub-cred/{tag}",
            protocol=protocol,
            username="oracle",
            password="secret",
        )
    )
    subscriber.connect()
    try:
        _publish(mqtt_url, [(f"sub-cred/{tag}", b"reading")])
        (message,) = _read(subscriber, 1)
        assert (message.topic, message.payload, message.qos) == (f"sub-cred/{tag}", b"reading", 1)
        subscriber.ack([message.mid])
    finally:
        subscriber.close()
