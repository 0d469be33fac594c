"""401 for an API call that carries no key, answered before its body is read.

FastAPI reads and parses a request's body before it runs the route's dependencies, authentication
among them, so a stranger's body that is not JSON was answered 422 (400 if not UTF-8) before
401. This gate answers 401 ``missing_api_key`` to any ``/api/v1`` request without a credential
before anything else runs: no ``Authorization: Bearer <token>`` and no ``X-API-Key``. Paths and methods
that name no operation go on to their 404 and 405 as before. A request
that carries a key, valid or not, goes on to the route, which authenticates it as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Router, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.limits import send_problem

API_PREFIX = "/api/v1/"
BEARER = re.compile(rb"^\s*bearer\s+\S", re.IGNORECASE)


def carries_key(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"authorization" and BEARER.match(value):
            return True
        if name == b"x-api-key" and value.strip():
            return True
    return False


@dataclass(frozen=True)
class MatchedRoute:
    """What ``scope["route"]`` holds for a refused call: its route's full path (request metrics read it)."""

    path: str


class KeyRequired:
    """Refuses a keyless call to an API operation (path and method of a route: anything else goes on, to
    its 404 or 405). ``router``: the app's, to know its operations."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app, self.router = app, router
        self._operations: list[tuple[re.Pattern[str], set[str], str]] | None = None

    def operation(self, scope: Scope) -> str | None:
        """The full path of the API route ``scope`` calls, if any."""
        if self._operations is None:  # the routes are all there by the first request
            paths = [
                (ctx.path, set(ctx.methods or ()))
                for ctx in iter_route_contexts(self.router.routes)
                if isinstance(ctx.original_route, APIRoute) and ctx.path
            ]
            self._operations = [(compile_path(p)[0], m, p) for p, m in paths if p.startswith(API_PREFIX)]
        for pattern, methods, path in self._operations:
            if scope["method"] in methods and pattern.match(scope["path"]):
                return path
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(API_PREFIX)
            and not carries_key(scope["headers"])
        ):
            path = self.operation(scope)
            if path is not None:
                scope["route"] = MatchedRoute(path)
                await send_problem(
                    send,
                    401,
                    "missing_api_key",
                    "Authentication required",
                    "no API key; send it as `Authorization: Bearer <key>` "
                    "(create one with `tradeledger keys api-key`)",
                    {"WWW-Authenticate": "Bearer"},
                )
                return
        await self.app(scope, receive, send)
