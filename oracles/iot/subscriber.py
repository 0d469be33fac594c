"""The oracle's MQTT connection: a small subscriber that takes QoS 1 messages and sends their PUBACKs.

It does only what the oracle needs: connect (MQTT 5 or 3.1.1, a persistent session, MQTT 5 Session
Expiry and Receive Maximum, TLS, user and password), subscribe to one filter with QoS 1, take
PUBLISH packets, acknowledge them when told, keep the connection alive. paho-mqtt spent more CPU per
message than the signature check: a ``select`` and three ``recv`` calls per packet, a ``Properties``
object (MQTT 5) and a message-info object with its own lock per message, a wake-up of its network
thread per acknowledgement. Here one ``recv`` takes every packet that has arrived (up to 256 KiB),
each PUBLISH is sliced out of it, and a group's PUBACKs leave in one ``sendall``.

Not thread-safe: one thread (the oracle's ingest thread) uses a ``Subscriber``.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass

from chain.docstore.cid import encode_varint  # MQTT's Variable Byte Integer is an unsigned LEB128
from iot.broker import MQTT_5, MQTT_311

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK = 0x10, 0x20, 0x30, 0x40, 0x82, 0x90
PINGREQ, PINGRESP, DISCONNECT = b"\xc0\x00", 0xD0, 0xE0
CHUNK = 256 * 1024


class ProtocolError(ConnectionError):
    """The broker refused us or sent what MQTT does not allow: the connection is closed."""


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    mid: int  # the packet identifier (0 at QoS 0, which needs no ack)
    qos: int


def encode_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + encode_varint(len(body)) + body


def read_varint(data: bytes | bytearray, at: int) -> tuple[int, int] | None:
    """(value, index after it), None when ``data`` ends inside it."""
    value, shift = 0, 0
    while at < len(data):
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 21:
            raise ProtocolError("a variable byte integer longer than 4 bytes")
    return None


def take_packets(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The complete packets at the start of ``buffer`` as (first byte, body); they are taken out of it."""
    packets, at = [], 0
    while len(buffer) - at >= 2:
        parsed = read_varint(buffer, at + 1)
        if parsed is None:
            break
        length, start = parsed
        if start + length > len(buffer):
            break
        packets.append((buffer[at], bytes(buffer[start : start + length])))
        at = start + length
    del buffer[:at]
    return packets


@dataclass(frozen=True)
class Session:
    host: str
    port: int
    client_id: str
    topic: str  # the filter subscribed to, with QoS 1
    protocol: int = MQTT_5
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None
    keepalive: int = 60
    session_expiry: int = 3600  # MQTT 5; MQTT 3.1.1 sessions last until the broker drops them
    receive_maximum: int = 1_000  # MQTT 5; MQTT 3.1.1 brokers use their own limit


class Subscriber:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._early: list[Message] = []  # a persistent session's messages that came before the SUBACK
        self._sent = self._received = 0.0  # monotonic times of the last packet each way
        self._pinged = False

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self, timeout: float = 10.0) -> None:
        """Open the connection and the subscription; raises ``OSError`` (``ProtocolError`` when refused)."""
        s = self.session
        sock = socket.create_connection((s.host, s.port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if s.tls is not None:
                sock = s.tls.wrap_socket(sock, server_hostname=s.host)
            self._sock, self._buffer, self._early, self._pinged = sock, bytearray(), [], False
            self._send(self._connect_packet())
            deadline = time.monotonic() + timeout
            self._await(CONNACK, deadline)
            no_properties = b"\x00" if s.protocol == MQTT_5 else b""
            subscribe = (1).to_bytes(2, "big") + no_properties + encode_string(s.topic) + b"\x01"  # QoS 1
            self._send(packet(SUBSCRIBE, subscribe))
            self._await(SUBACK, deadline)
            sock.settimeout(max(10.0, s.keepalive))  # a stalled peer surfaces as an OSError
        except BaseException:
            self.close(graceful=False)
            raise

    def _connect_packet(self) -> bytes:
        s = self.session
        v5 = s.protocol == MQTT_5
        flags = (0x80 if s.username is not None else 0) | (0x40 if s.password is not None else 0)
        # clean start (MQTT 5) / clean session (3.1.1) off: the broker keeps the session and its messages
        level = MQTT_5 if v5 else MQTT_311
        body = encode_string("MQTT") + bytes([level, flags]) + s.keepalive.to_bytes(2, "big")
        if v5:
            expiry = b"\x11" + s.session_expiry.to_bytes(4, "big")  # Session Expiry Interval
            properties = expiry + b"\x21" + s.receive_maximum.to_bytes(2, "big")  # Receive Maximum
            body += encode_varint(len(properties)) + properties
        body += encode_string(s.client_id)
        if s.username is not None:
            body += encode_string(s.username)
        if s.password is not None:
            body += encode_string(s.password)
        return packet(CONNECT, body)

    def _await(self, kind: int, deadline: float) -> None:
        """Read until the packet ``kind`` (CONNACK or SUBACK) came and was a success."""
        came = False
        while not came:
            if time.monotonic() > deadline:
                raise ProtocolError(f"no {'CONNACK' if kind == CONNACK else 'SUBACK'} from the broker")
            for header, body in take_packets(self._recv()):  # every one: messages may follow it
                if header & 0xF0 == PUBLISH:
                    self._early.append(self._publish(header, body))
                elif header == kind and not came:
                    self._check_ack(kind, body)
                    came = True
                else:
                    self._other(header, body)

    def _check_ack(self, kind: int, body: bytes) -> None:
        v5 = self.session.protocol == MQTT_5
        if kind == CONNACK:
            code = body[1] if len(body) > 1 else 0xFF
            if code != 0:
                raise ProtocolError(f"the broker refused the connection (reason code {code:#x})")
            return
        at = 2
        if v5:
            parsed = read_varint(body, at)
            if parsed is None:
                raise ProtocolError("a truncated SUBACK")
            length, at = parsed
            at += length
        if at >= len(body) or body[at] >= 0x80:
            raise ProtocolError(f"the broker refused the subscription to {self.session.topic}")

    def read(self, timeout: float) -> list[Message]:
        """The messages that arrive within ``timeout`` s (all that have arrived once any has); raises
        ``OSError`` when the connection is lost."""
        if self._early:
            early, self._early = self._early, []
            return early
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        self._keep_alive()
        pending = sock.pending() if isinstance(sock, ssl.SSLSocket) else 0
        if not pending and not select.select([sock], [], [], timeout)[0]:
            return []
        messages = []
        for header, body in take_packets(self._recv()):
            if header & 0xF0 == PUBLISH:
                messages.append(self._publish(header, body))
            else:
                self._other(header, body)
        return messages

    def ack(self, mids: Iterable[int]) -> None:
        """Acknowledge QoS 1 messages (by packet identifier) in one write."""
        data = b"".join(b"\x40\x02" + mid.to_bytes(2, "big") for mid in mids)
        if data:
            self._send(data)

    def close(self, *, graceful: bool = True) -> None:
        """Close the connection; ``graceful`` sends DISCONNECT first (the session stays on the broker)."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            if graceful:  # closing with unread data would reset the connection, and the broker could
                sock.sendall(bytes([DISCONNECT, 0]))  # lose the last acks: shut down, wait for its end
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(1.0)
                while sock.recv(CHUNK):
                    pass
        except OSError:
            pass
        finally:
            sock.close()

    def _keep_alive(self) -> None:
        now, every = time.monotonic(), self.session.keepalive
        if self._pinged and now - self._received > every:
            raise ConnectionError(f"no answer from the broker for {every} s")
        if now - self._sent >= every / 2:
            self._send(PINGREQ)
            self._pinged = True

    def _send(self, data: bytes) -> None:
        if self._sock is None:
            raise ConnectionError("not connected")
        self._sock.sendall(data)
        self._sent = time.monotonic()

    def _recv(self) -> bytearray:
        assert self._sock is not None
        data = self._sock.recv(CHUNK)
        if not data:
            raise ConnectionError("the broker closed the connection")
        self._received, self._pinged = time.monotonic(), False
        self._buffer += data
        return self._buffer

    def _publish(self, header: int, body: bytes) -> Message:
        qos = (header >> 1) & 0x03
        if qos == 3:
            raise ProtocolError("a PUBLISH with QoS 3")
        end = 2 + int.from_bytes(body[:2], "big")
        topic, mid = body[2:end].decode("utf-8", "replace"), 0
        if qos:
            mid, end = int.from_bytes(body[end : end + 2], "big"), end + 2
        if self.session.protocol == MQTT_5:
            parsed = read_varint(body, end)
            if parsed is None:
                raise ProtocolError("a PUBLISH with truncated properties")
            length, end = parsed
            end += length
        return Message(topic, body[end:], mid, qos)

    def _other(self, header: int, body: bytes) -> None:
        if header & 0xF0 == DISCONNECT:
            raise ProtocolError(f"the broker disconnected us (reason code {body[0] if body else 0:#x})")
        # PINGRESP, and anything else a subscriber may ignore (a PUBACK of nothing we sent, AUTH)
