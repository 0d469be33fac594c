"""The embedded MQTT broker of the default stack: amqtt (pure Python, MQTT 3.1.1) on a free local port.

It runs in its own thread with its own event loop, so ``tradeledger up`` starts it beside the API
and the oracle without any service installed. MQTT 3.1.1 has no shared subscriptions: against it
the oracle runs as a single instance with a plain subscription and a persistent session
(``clean_session=False``), which keeps QoS 1 messages for it across its own restarts. Sessions
live in the broker's memory, so stopping the embedded broker drops what it had queued; a real
deployment points ``TRADELEDGER_MQTT_URL`` at Mosquitto or EMQX (MQTT 5, shared subscriptions).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from chain.node import free_port

MQTT_311 = 4  # protocol level of MQTT 3.1.1
MQTT_5 = 5


class EmbeddedBroker:
    """``with EmbeddedBroker() as url:`` runs a broker at ``mqtt://127.0.0.1:<port>`` until the block ends."""

    def __init__(self, port: int = 0) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker", daemon=True)
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10) -> str:
        from amqtt.broker import Broker  # type: ignore[import-untyped]

        for name in ("amqtt", "transitions"):  # their INFO logs would drown the stack's output
            logging.getLogger(name).setLevel(logging.WARNING)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._thread.start()

        async def boot() -> None:
            self._broker = Broker(config, loop=self._loop)
            await self._broker.start()

        asyncio.run_coroutine_threadsafe(boot(), self._loop).result(timeout)
        return self.url

    def stop(self, timeout: float = 10) -> None:
        if self._broker is not None:
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout)
            self._broker = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
