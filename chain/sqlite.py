"""SQLite connection settings, for the API's database and the outbox's file beside it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event


def on_connect(engine: Engine, *pragmas: str) -> None:
    """Run ``PRAGMA <each>`` on every connection ``engine`` opens (most pragmas hold per connection)."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
