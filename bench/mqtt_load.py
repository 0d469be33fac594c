"""A QoS 1 load publisher for the IoT benchmark: many PUBLISH packets per write, PUBACKs counted.

The benchmark's devices share two cores with the broker and the oracles under test. paho-mqtt spent
about as much CPU per published message as the oracle spends checking it, so the load generator,
not the oracles, set the pace (and the raw broker baseline measured paho). A real fleet publishes
from its own devices; this publisher keeps to the protocol (QoS 1, at most the broker's Receive
Maximum unacknowledged, every PUBACK awaited) at a few microseconds per message, so the figures
measure the broker and the oracles.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from urllib.parse import urlparse

from oracles.iot.subscriber import (
    CONNACK,
    CONNECT,
    PUBACK,
    ProtocolError,
    encode_string,
    packet,
    read_varint,
    take_packets,
)

QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux; cleared by the kernel, so set before each read


class Publisher:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        target = urlparse(url)
        if target.scheme != "mqtt":
            raise ValueError("the load publisher speaks plain MQTT only")
        self._sock = socket.create_connection((target.hostname or "127.0.0.1", target.port or 1883), timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()
        client_id = f"bench-load-{os.getpid()}-{time.time_ns()}"
        # MQTT 5, clean start, no properties
        self._sock.sendall(
            packet(CONNECT, encode_string("MQTT") + b"\x05\x02\x00\x3c\x00" + encode_string(client_id))
        )
        self.window = self._connack()
        self._mid = 0

    def _connack(self) -> int:
        """The broker's Receive Maximum: how many QoS 1 messages may wait for their PUBACK."""
        while True:
            for header, body in self._read():
                if header != CONNACK:
                    continue
                if len(body) < 2 or body[1] != 0:
                    raise ProtocolError(f"the broker refused the load publisher ({body[1:2].hex()})")
                parsed = read_varint(body, 2)
                at, end = (parsed[1], parsed[1] + parsed[0]) if parsed else (2, 2)
                while at < end:  # properties: find Receive Maximum (0x21), skip the others
                    ident = body[at]
                    if ident == 0x21:
                        return int.from_bytes(body[at + 1 : at + 3], "big")
                    at = _skip_property(body, at)
                return 65_535

    def _read(self) -> list[tuple[int, bytes]]:
        if QUICKACK is not None:  # ack the broker's segments at once: with a delayed ack (40 ms), its
            self._sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)  # last PUBACKs waited (Nagle)
        data = self._sock.recv(256 * 1024)
        if not data:
            raise ConnectionError("the broker closed the load publisher's connection")
        self._buffer += data
        return take_packets(self._buffer)

    def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish with QoS 1 and return when the broker has acknowledged every one."""
        waiting, sent = 0, 0
        while sent < len(messages) or waiting:
            room = min(self.window - waiting, len(messages) - sent)
            if room > 0:
                chunk = []
                for topic, payload in messages[sent : sent + room]:
                    self._mid = self._mid % 65_535 + 1
                    body = encode_string(topic) + self._mid.to_bytes(2, "big") + b"\x00" + payload
                    chunk.append(packet(0x32, body))  # PUBLISH, QoS 1
                self._sock.sendall(b"".join(chunk))
                sent, waiting = sent + room, waiting + room
            waiting -= sum(1 for header, _ in self._read() if header == PUBACK)

    def close(self) -> None:
        try:
            self._sock.sendall(b"\xe0\x00")
        finally:
            self._sock.close()


def _skip_property(body: bytes, at: int) -> int:
    """The index after the CONNACK property at ``at`` (MQTT 5 property types)."""
    ident = body[at]
    at += 1
    if ident in (0x24, 0x25, 0x28, 0x29, 0x2A, 0x01, 0x17, 0x19):  # byte
        return at + 1
    if ident in (0x13, 0x21, 0x22, 0x23):  # two-byte integer
        return at + 2
    if ident in (0x11, 0x02, 0x18, 0x27):  # four-byte integer
        return at + 4
    if ident == 0x0B:  # variable byte integer
        parsed = read_varint(body, at)
        return parsed[1] if parsed else len(body)
    if ident == 0x26:  # string pair
        at += 2 + int.from_bytes(body[at : at + 2], "big")
    return at + 2 + int.from_bytes(body[at : at + 2], "big")  # string or binary data
