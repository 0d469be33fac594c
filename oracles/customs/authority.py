"""The embedded customs authority: a local service that files declarations and serves their status feed.

On a real network the customs oracles read a customs authority's (or a single-window platform's)
data feed. The embedded default ships this small stand-in so the whole flow runs on one machine:
it keeps declarations and their status changes in a JSON-lines file and serves them the way
``HttpFeed`` reads them. Statuses only move forward (declared -> inspected -> released -> cleared;
inspection may be skipped).

HTTP (JSON):

- ``GET  /declarations/events?after=<seq>&limit=<n>``: status events after ``seq``, oldest first;
- ``GET  /declarations/{number}``: one declaration and its timeline;
- ``POST /declarations``: file a declaration (``{"declaration": {...}, "at": "<ISO 8601>"}``);
- ``POST /declarations/{number}/status``: record a status change (``{"status": ..., "at": ...}``);
- ``GET  /healthz``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import Body, FastAPI, HTTPException, Query

from oracles.customs.feeds import STATUSES


class AuthorityError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class CustomsAuthority:
    """Declarations and their status events, appended to ``path`` (in memory when ``path`` is None)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._declarations: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._apply(json.loads(line))

    def _apply(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        self._declarations[event["declaration"]["declaration_number"]] = event["declaration"]

    def _append(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(event, sort_keys=True) + "\n")
        self._apply(event)
        return event

    def file(self, declaration: Mapping[str, Any], at: str | None = None) -> dict[str, Any]:
        """File a new declaration: its first event, ``declared``."""
        number = declaration.get("declaration_number")
        if not isinstance(number, str) or not number.strip():
            raise AuthorityError(422, "missing_number", "a declaration needs a declaration_number")
        with self._lock:
            if number in self._declarations:
                raise AuthorityError(409, "declaration_exists", f"declaration {number} is filed already")
            return self._append(self._event(dict(declaration), "declared", at))

    def advance(self, number: str, status: str, at: str | None = None) -> dict[str, Any]:
        """Record that declaration ``number`` reached ``status`` (only forward)."""
        if status not in STATUSES:
            raise AuthorityError(422, "unknown_status", f"status must be one of {', '.join(STATUSES)}")
        with self._lock:
            declaration = self._declarations.get(number)
            if declaration is None:
                raise AuthorityError(404, "declaration_unknown", f"no declaration {number}")
            current = self.timeline(number)[-1]["status"]
            if STATUSES.index(status) <= STATUSES.index(current):
                raise AuthorityError(
                    409, "status_backwards", f"declaration {number} is {current}; it cannot become {status}"
                )
            return self._append(self._event(declaration, status, at))

    def _event(self, declaration: dict[str, Any], status: str, at: str | None) -> dict[str, Any]:
        moment = at or datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {"seq": len(self._events) + 1, "declaration": declaration, "status": status, "at": moment}

    def events(self, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            return self._events[after : after + limit]

    def timeline(self, number: str) -> list[dict[str, Any]]:
        return [
            {"status": e["status"], "at": e["at"]}
            for e in self._events
            if e["declaration"]["declaration_number"] == number
        ]

    def record(self, number: str) -> dict[str, Any]:
        with self._lock:
            declaration = self._declarations.get(number)
            if declaration is None:
                raise AuthorityError(404, "declaration_unknown", f"no declaration {number}")
            return {"declaration": declaration, "timeline": self.timeline(number)}


def create_authority_app(authority: CustomsAuthority) -> FastAPI:
    app = FastAPI(title="tradeledger embedded customs authority", version="1.0.0")

    def fail(exc: AuthorityError) -> HTTPException:
        return HTTPException(exc.status, {"code": exc.code, "detail": exc.detail})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/declarations/events")
    def events(
        after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)
    ) -> dict[str, list[dict[str, Any]]]:
        return {"events": authority.events(after, limit)}

    @app.get("/declarations/{number}")
    def record(number: str) -> dict[str, Any]:
        try:
            return authority.record(number)
        except AuthorityError as exc:
            raise fail(exc) from None

    @app.post("/declarations", status_code=201)
    def file(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        declaration = body.get("declaration")
        if not isinstance(declaration, dict):
            raise HTTPException(422, {"code": "invalid_body", "detail": "send {'declaration': {...}}"})
        try:
            return authority.file(declaration, body.get("at"))
        except AuthorityError as exc:
            raise fail(exc) from None

    @app.post("/declarations/{number}/status", status_code=201)
    def advance(number: str, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        try:
            return authority.advance(number, str(body.get("status")), body.get("at"))
        except AuthorityError as exc:
            raise fail(exc) from None

    return app


@contextlib.contextmanager
def serve_authority(authority: CustomsAuthority, port: int, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``authority`` on ``host:port`` in a background thread; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(create_authority_app(authority), host=host, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="customs-authority", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the customs authority did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
