"""The MQTT topic scheme: ``tradeledger/v1/<owner org>/devices/<device id>/readings``.

Oracles subscribe with a shared subscription (``$share/<group>/tradeledger/v1/+/devices/+/readings``)
so several instances split the load.
"""

from __future__ import annotations

PREFIX = "tradeledger/v1"
READINGS_FILTER = f"{PREFIX}/+/devices/+/readings"


def readings_topic(owner: bytes, device_id: bytes) -> str:
    return f"{PREFIX}/0x{owner.hex()}/devices/0x{device_id.hex()}/readings"


def shared(group: str, topic_filter: str = READINGS_FILTER) -> str:
    return f"$share/{group}/{topic_filter}"


def parse_readings_topic(topic: str) -> tuple[str, str] | None:
    """(owner org, device id) from a readings topic, or None when the topic is not one."""
    parts = topic.split("/")
    if len(parts) != 6 or "/".join(parts[:2]) != PREFIX or parts[3] != "devices" or parts[5] != "readings":
        return None
    return parts[2], parts[4]
