"""API fixtures: the real app over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.auth.service import create_api_key
from api.participants.models import Organisation, OrganisationAccount, OrganisationLegalId
from api.settings import Settings
from chain.ids import org_id, to_hex32


@pytest.fixture
def client(db_engine: Engine) -> Iterator[TestClient]:
    app = create_app(Settings(environment="test"), engine=db_engine)
    with TestClient(app) as test_client:
        yield test_client


class Tenants:
    """Organisations as the index holds them, each with an API key."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.keys: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def add(
        self,
        handle: str,
        role: str = "supplier",
        *,
        status: str = "active",
        scopes: tuple[str, ...] = ("read", "write", "admin"),
    ) -> str:
        oid = to_hex32(org_id(handle))
        with Session(self.engine) as session:
            session.add(
                Organisation(
                    org_id=oid,
                    name=handle.title(),
                    role=role,
                    status=status,
                    legal_id_commitment="0x" + "11" * 32,
                    registered_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                    registered_block=len(self.ids) + 1,
                    registered_tx="0x" + "22" * 32,
                )
            )
            session.add(OrganisationAccount(org_id=oid, address=f"0x{len(self.ids) + 1:040x}", added_block=1))
            session.add(
                OrganisationLegalId(org_id=oid, legal_id=f"LEI-{handle.upper()}", salt="0x" + "33" * 32)
            )
            session.commit()
            _, key = create_api_key(session, oid, "test", list(scopes))
        self.ids[handle], self.keys[handle] = oid, key
        return oid

    def headers(self, handle: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[handle]}"}


@pytest.fixture
def tenants(db_engine: Engine) -> Tenants:
    t = Tenants(db_engine)
    t.add("operator", "operator")
    t.add("acme", "core_enterprise")
    t.add("supplier-b", "supplier")
    return t
