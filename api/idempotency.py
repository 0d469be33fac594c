"""``Idempotency-Key`` for POSTs that write to the chain.

The first response to a key is stored with a hash of the request; the same
key with the same request replays it (header ``Idempotent-Replayed: true``),
the same key with another request is refused with ``idempotency_key_reused``.
Keys are scoped to the caller's organisation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from api.auth.deps import OperatorDep, WriterDep
from api.auth.service import Caller
from api.db import SessionDep
from api.service_base import ChainService
from chain.errors import Conflict, InvalidInput
from chain.outbox import scope as outbox_scope

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")

IdempotencyKey = Annotated[
    str | None, Header(description="repeat a POST safely: same key and body, same answer, one chain write")
]


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_idempotency_keys_org_key"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=66)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _request_hash(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    canonical = json.dumps([method, path, payload], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    session: Session,
    *,
    org_id: str,
    key: str | None,
    method: str,
    path: str,
    body: BaseModel | None,
    run: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    """Run ``run`` once per (organisation, key); replay its stored response afterwards."""
    if key is None:
        status, result = run()
        return JSONResponse(jsonable_encoder(result), status_code=status)
    if not KEY_PATTERN.match(key):
        raise InvalidInput(
            "Idempotency-Key must be 1-255 visible ASCII characters, e.g. a UUID",
            code="invalid_idempotency_key",
        )
    digest = _request_hash(method, path, body)
    stored = session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key)
    ).first()
    if stored is not None:
        if stored.request_hash != digest:
            raise InvalidInput(
                f"Idempotency-Key {key!r} was used for a different request; use a new key for a new request",
                code="idempotency_key_reused",
            )
        return JSONResponse(
            json.loads(stored.response_body),
            status_code=stored.status_code,
            headers={"Idempotent-Replayed": "true"},
        )
    status, result = run()
    encoded = jsonable_encoder(result)
    session.add(
        IdempotencyRecord(
            org_id=org_id,
            key=key,
            request_hash=digest,
            status_code=status,
            response_body=json.dumps(encoded),
            created_at=datetime.now(UTC),
        )
    )
    try:
        session.commit()
    except IntegrityError:  # a concurrent request with the same key stored its answer first
        session.rollback()
    return JSONResponse(encoded, status_code=status)


S = TypeVar("S", bound=ChainService)


@dataclass(frozen=True)
class Write:
    """One request that writes to the chain: who writes, its session, and its Idempotency-Key."""

    request: Request
    session: Session
    caller: Caller
    key: str | None

    def service(self, cls: type[S]) -> S:
        """A domain service wired to the app's chain and indexer (503 ``chain_unavailable`` without them).

        If the node lost transactions of ours (it restarted from an older state), they are sent again
        first, and the index is brought up to the head, so the write sees what was acknowledged before
        it: after such a restart the index rolls back what the node lost, and a write reading the index
        before the transactions sent again were indexed found no such object (404)."""
        service = cls.for_request(self.session, self.request)
        # end the request's read transaction first: its connection goes back to the pool while the write
        # waits on the node and the index lock (20 writes at once held every pooled connection, and the
        # sync they waited for had none left)
        self.session.commit()
        if service.chain is not None:
            service.chain.catch_up_lost()
        if service.indexer is not None:
            service.indexer.sync()
        return service

    def once(self, body: BaseModel | None, status: int, run: Callable[[], Any]) -> JSONResponse:
        """``run()``'s result answered with ``status``, run once per Idempotency-Key.

        What ``run`` signs is journaled under the key, so a retry whose first attempt got transactions
        to the node but never answered (its process died, or the node did) is refused with 409
        ``request_outcome_unknown`` naming them, instead of signing them again."""
        name = f"{self.caller.org_id}:{self.key}" if self.key else None

        def guarded() -> tuple[int, Any]:
            chain = getattr(self.request.app.state, "chain", None)
            if name and chain is not None and chain.outbox is not None:
                earlier = chain.outbox.attempted(chain.w3, name)
                if earlier:
                    raise Conflict(
                        f"an earlier attempt with Idempotency-Key {self.key!r} sent {len(earlier)} "
                        "transaction(s) but its answer was lost; they are not sent again. Read the object "
                        "to see what happened, and use a new key for a new request",
                        code="request_outcome_unknown",
                        transactions=earlier,
                    )
            with outbox_scope(name):
                return status, run()

        return idempotent(
            self.session,
            org_id=self.caller.org_id,
            key=self.key,
            method=self.request.method,
            path=self.request.url.path,
            body=body,
            run=guarded,
        )


def _write(
    request: Request, session: SessionDep, caller: WriterDep, idempotency_key: IdempotencyKey = None
) -> Write:
    return Write(request, session, caller, idempotency_key)


def _operator_write(
    request: Request, session: SessionDep, caller: OperatorDep, idempotency_key: IdempotencyKey = None
) -> Write:
    return Write(request, session, caller, idempotency_key)


WriteDep = Annotated[Write, Depends(_write)]  # an active member's key with the write scope
OperatorWriteDep = Annotated[Write, Depends(_operator_write)]  # the consortium operator's
