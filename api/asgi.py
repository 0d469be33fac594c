"""What the API's plain ASGI middleware share."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusOf:
    """An ASGI ``send`` that passes every message on and notes the response's status (500 until a
    response starts, so a request that raised is counted as the error it becomes)."""

    def __init__(self, send: Send) -> None:
        self.status = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)
