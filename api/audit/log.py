"""The access log: every read an auditor or regulator makes, and whose records it read.

``RecordReads`` (an ASGI middleware) writes one row per read of an auditing caller once it is
answered. The code that lets an auditing caller read another organisation's records calls ``note``
with the organisations that authorised the read and the object read; the notes of a request live in a
context variable the middleware sets, so services note reads without being handed the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Receive, Scope, Send

from api.asgi import StatusOf
from api.audit.models import AuditAccess
from api.auth.service import Caller
from api.db import Page

READS = ("GET", "HEAD")
Read = tuple[str | None, str | None]  # (subject organisation, object id)

_reads: ContextVar[list[Read] | None] = ContextVar("audit_reads", default=None)


def note(subjects: Iterable[str], object_id: str | None = None) -> None:
    """The request being answered reads ``object_id`` (None: a list) of each of ``subjects``."""
    reads = _reads.get()
    if reads is not None:
        reads.extend((subject, object_id) for subject in sorted(set(subjects)))


class RecordReads:
    """Writes the access log row(s) of an auditing caller's read once it is answered (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reads: list[Read] = []
        token = _reads.set(reads)
        answer = StatusOf(send)
        try:
            await self.app(scope, receive, answer)
        finally:
            _reads.reset(token)
            state = scope.get("state", {})
            caller = state.get("caller")
            read = scope["method"] in READS or state.get("read_only_form", False)  # web FormReader
            if isinstance(caller, Caller) and caller.is_auditing and read:
                request = Request(scope)
                engine = request.app.state.engine
                await run_in_threadpool(_store, engine, caller, request, answer.status, reads)


def _store(engine: Engine, caller: Caller, request: Request, status: int, reads: list[Read]) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        for subject, object_id in dict.fromkeys(reads) or [(None, None)]:
            session.add(
                AuditAccess(
                    at=now,
                    auditor=caller.org_id,
                    api_key_id=caller.key_id,
                    method=request.method,
                    path=request.url.path[:512],
                    query=request.url.query[:1024] or None,
                    status=status,
                    subject=subject,
                    object_id=object_id,
                )
            )
        session.commit()


def entries_for(
    session: Session, caller: Caller, page: Page, since: datetime | None, until: datetime | None
) -> list[AuditAccess]:
    """Newest first. The operator sees every entry; an auditor or regulator its own reads; any other
    organisation the reads of its records."""
    query = select(AuditAccess)
    if caller.is_auditing:
        query = query.where(AuditAccess.auditor == caller.org_id)
    elif not caller.is_operator:
        query = query.where(AuditAccess.subject == caller.org_id)
    if since is not None:  # stored in UTC (SQLite keeps the wall time only)
        query = query.where(col(AuditAccess.at) >= since.astimezone(UTC))
    if until is not None:
        query = query.where(col(AuditAccess.at) < until.astimezone(UTC))
    query = query.order_by(col(AuditAccess.id).desc()).offset(page.offset).limit(page.limit)
    return list(session.exec(query))
