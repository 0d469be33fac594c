"""Database engine, sessions and migrations.

SQLite (the embedded default) and PostgreSQL (psycopg 3) behind one SQLModel
metadata; the schema only changes through the Alembic migrations in
``api/migrations``, which ``migrate`` applies at start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from alembic import command
from alembic.config import Config
from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from sqlalchemy import Engine, Select, make_url
from sqlmodel import Session, create_engine

from chain.sqlite import on_connect

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])  # a query, sqlmodel's or SQLAlchemy's


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Up to 40 connections, one per API worker thread (anyio's default): a write holds its request's
# connection while it waits on the chain, and with SQLAlchemy's default of 15 a burst of 20 writes queued
# for connections. 20 are kept open, as many as requests the API admits at once (``api.limits.InFlight``):
# a connection opened and closed per request costs 0.4 ms on SQLite (open, pragmas, schema read).
POOL: dict[str, Any] = {"pool_size": 20, "max_overflow": 20}


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        in_memory = not path or path == ":memory:"  # one connection per thread: no pool to size
        if path and not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connect = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect, **({} if in_memory else POOL))

        on_connect(engine, "journal_mode=WAL", "foreign_keys=ON")
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Async, so FastAPI opens and closes it on the event loop instead of handing
    each to a worker thread (making a session does no I/O; its first query, in the endpoint, connects)."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1

# a row id in a path: PostgreSQL keeps them as INTEGER (32 bits), so a larger number is refused as invalid
# (not sent to the database, which would fail on it); the OpenAPI document states the bounds
RowId = Annotated[int, PathParam(ge=0, le=INT32_MAX)]


@dataclass(frozen=True)
class Page:
    """``?limit=&offset=`` on list endpoints."""

    limit: int
    offset: int

    def of(self, rows: list[T]) -> list[T]:
        return rows[self.offset : self.offset + self.limit]

    def query(self, statement: S) -> S:
        """``statement`` paged in SQL, so a page costs the same however many rows there are (it must be
        ordered by something unique)."""
        return statement.offset(self.offset).limit(self.limit)


def page(
    limit: Annotated[int, Query(ge=1, le=200, description="at most this many")] = 50,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="skip this many")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
