"""Shared fixtures: a real anvil node, a fresh deployment, real databases.

Nothing here is mocked: chain tests run against anvil with the compiled
contracts; database tests run on SQLite and on the PostgreSQL named by
TRADELEDGER_TEST_POSTGRES_URL (in CI it must be reachable: no silent skips).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

# Isolate every test run's state (keystores, manifests) and keep key derivation quick.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="tradeledger-tests-"))
os.environ["TRADELEDGER_VAR_DIR"] = str(_RUN_DIR)
os.environ.setdefault("TRADELEDGER_KEYSTORE_SCRYPT_N", "1024")
os.environ.setdefault("TRADELEDGER_ENVIRONMENT", "test")
os.environ["TRADELEDGER_KEYSTORE_PASSWORD"] = "test-password"  # the CLI under test opens the same keystore

from chain.client import Chain  # noqa: E402
from chain.compiler import Artifact, compile_project, compile_sources  # noqa: E402
from chain.config import network_settings, project_root, var_dir  # noqa: E402
from chain.deploy import deploy  # noqa: E402
from chain.keys import KeyStore  # noqa: E402
from chain.manifest import Manifest  # noqa: E402
from chain.node import EmbeddedNode, rpc  # noqa: E402

TEST_PASSWORD = "test-password"


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return compile_project()


@pytest.fixture(scope="session")
def test_artifacts(artifacts: dict[str, Artifact]) -> dict[str, Artifact]:
    """contracts/ plus the test-only contracts (upgrade targets)."""
    root = project_root()
    return compile_sources(
        [root / "contracts", root / "tests" / "contracts"], root / "build" / "test-contracts"
    )


@pytest.fixture(scope="session")
def anvil() -> Iterator[EmbeddedNode]:
    with EmbeddedNode() as node:
        yield node


class ChainHarness:
    """A deployed chain plus helpers to make accounts and roll state back."""

    def __init__(self, node: EmbeddedNode, chain: Chain, manifest: Manifest) -> None:
        self.node = node
        self.chain = chain
        self.manifest = manifest

    def snapshot(self) -> str:
        return str(rpc(self.node.url, "evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        rpc(self.node.url, "evm_revert", [snapshot])
        self.chain.resync_senders()

    def new_key(self, name: str) -> str:
        address = self.chain.keystore.get_or_create(name).address
        self.node.fund(address)
        return str(address)

    def increase_time(self, seconds: int) -> None:
        rpc(self.node.url, "evm_increaseTime", [seconds])
        rpc(self.node.url, "evm_mine")


@pytest.fixture(scope="session")
def deployed(anvil: EmbeddedNode, artifacts: dict[str, Artifact]) -> ChainHarness:
    keystore = KeyStore(var_dir() / "keys", TEST_PASSWORD)
    chain = Chain.connect(anvil.url, network_settings("embedded"), keystore, load=False)
    for name in ("deployer", "operator", "officer-1", "officer-2"):
        anvil.fund(keystore.get_or_create(name).address)
    manifest = deploy(chain, execution_delay=3600)
    return ChainHarness(anvil, chain, manifest)


@pytest.fixture
def harness(deployed: ChainHarness) -> Iterator[ChainHarness]:
    """The deployed chain, rolled back to its deployed state after the test."""
    snapshot = deployed.snapshot()
    yield deployed
    deployed.revert(snapshot)


# --- databases ----------------------------------------------------------------------------

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_MQTT = "mqtt://127.0.0.1:1883"


def _local_postgres() -> str | None:
    """The machine's own PostgreSQL (trust auth, database ``test``) when it accepts us; else None."""
    import psycopg

    try:
        psycopg.connect(LOCAL_POSTGRES, connect_timeout=2).close()
    except psycopg.Error:
        return None
    return LOCAL_POSTGRES


def _local_mqtt() -> str | None:
    """The machine's own MQTT broker on 127.0.0.1:1883 when it answers; else None."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        return None
    return LOCAL_MQTT


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end.

    TRADELEDGER_TEST_POSTGRES_URL, else this machine's PostgreSQL if it accepts us; skipped when
    neither is there, except in CI, where that is a failure.
    """
    import secrets

    import psycopg

    server = os.environ.get("TRADELEDGER_TEST_POSTGRES_URL") or _local_postgres()
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TRADELEDGER_TEST_POSTGRES_URL is unset; run the suite through .ci/run")
        pytest.skip("set TRADELEDGER_TEST_POSTGRES_URL=postgresql://… to run the PostgreSQL tests")
    name = f"tl_test_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite, then the same test again on PostgreSQL."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import api.models  # noqa: F401 - every table on the metadata
    from api.db import make_engine, migrate

    url = (
        f"sqlite:///{tmp_path / 'test.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    migrate(engine)
    yield engine
    if request.param == "postgres":  # the database outlives the test: empty it
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """The MQTT broker for broker tests: TRADELEDGER_TEST_MQTT_URL, else 127.0.0.1:1883 if it answers
    (Mosquitto in CI); skipped when neither is there, except in CI."""
    url = os.environ.get("TRADELEDGER_TEST_MQTT_URL") or _local_mqtt()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TRADELEDGER_TEST_MQTT_URL is unset; run the suite through .ci/run")
        pytest.skip("set TRADELEDGER_TEST_MQTT_URL=mqtt://127.0.0.1:1883 to run the broker tests")
    return url
