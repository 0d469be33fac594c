"""The Idempotency-Key helper on a real database: one run per (organisation, key), replays after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.idempotency import IdempotencyRecord, idempotent
from chain.errors import InvalidInput

ORG_A, ORG_B = "0x" + "aa" * 32, "0x" + "bb" * 32


class Deposit(BaseModel):
    amount_minor: int


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> tuple[int, dict[str, int]]:
        self.runs += 1
        return 201, {"run": self.runs}


def call(
    session: Session, run: Counter, *, org: str = ORG_A, key: str | None = "k-1", amount: int = 5
) -> JSONResponse:
    return idempotent(
        session, org_id=org, key=key, method="POST", path="/x", body=Deposit(amount_minor=amount), run=run
    )


def test_the_same_key_and_body_runs_once_and_replays(db_engine: Engine) -> None:
    run = Counter()
    with Session(db_engine) as session:
        first = call(session, run)
        again = call(session, run)

    assert run.runs == 1
    assert (first.status_code, first.body) == (again.status_code, again.body) == (201, b'{"run":1}')
    assert "idempotent-replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused_and_runs_nothing(db_engine: Engine) -> None:
    run = Counter()
    with Session(db_engine) as session:
        call(session, run)

        with pytest.raises(InvalidInput) as refused:
            call(session, run, amount=6)

    assert (refused.value.code, refused.value.status) == ("idempotency_key_reused", 422)
    assert run.runs == 1


def test_keys_are_scoped_to_the_organisation(db_engine: Engine) -> None:
    run = Counter()
    with Session(db_engine) as session:
        call(session, run, org=ORG_A)
        other = call(session, run, org=ORG_B)

    assert run.runs == 2 and other.body == b'{"run":2}'


def test_without_a_key_every_call_runs_and_nothing_is_stored(db_engine: Engine) -> None:
    run = Counter()
    with Session(db_engine) as session:
        call(session, run, key=None)
        call(session, run, key=None)
        stored = session.exec(select(IdempotencyRecord)).all()

    assert run.runs == 2 and stored == []


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_malformed_keys_are_422(db_engine: Engine, key: str) -> None:
    run = Counter()
    with Session(db_engine) as session, pytest.raises(InvalidInput) as refused:
        call(session, run, key=key)

    assert refused.value.code == "invalid_idempotency_key" and run.runs == 0


def test_the_stored_answer_is_json_with_a_utc_timestamp(db_engine: Engine) -> None:
    with Session(db_engine) as session:
        call(session, Counter())
        (row,) = session.exec(select(IdempotencyRecord)).all()

    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert (row.status_code, json.loads(row.response_body)) == (201, {"run": 1})
