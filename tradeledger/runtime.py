"""Composes the parts: settings -> node -> chain -> database -> indexer.

Used by every CLI command. On the embedded network ``tradeledger up`` starts
anvil and records its URL in ``<var>/run/node.json`` so other commands (in
another terminal) find it; on any other network the RPC URL comes from
brownie-config.yaml or ``TRADELEDGER_RPC_URL``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from api.db import make_engine, migrate
from api.projections import all_projections
from api.settings import Settings, get_settings
from chain.client import DEPLOYER, OFFICERS, OPERATOR, Chain
from chain.config import NetworkSettings, network_settings, var_dir
from chain.deploy import deploy
from chain.errors import ChainError, ConfigurationError
from chain.indexer import Indexer
from chain.keys import KeyStore
from chain.node import EmbeddedNode, fund_if_embedded, rpc
from chain.outbox import Outbox

DEV_SCRYPT_N = 2**14  # development keystores: quicker to unlock; production uses eth-account's 2**18


def keystore(settings: Settings) -> KeyStore:
    scrypt_n = (
        None
        if settings.environment == "production" or os.environ.get("TRADELEDGER_KEYSTORE_SCRYPT_N")
        else DEV_SCRYPT_N
    )
    return KeyStore(var_dir() / "keys", settings.keystore_password.get_secret_value(), scrypt_n=scrypt_n)


def node_info_file() -> Path:
    return var_dir() / "run" / "node.json"


def state_file() -> Path:
    return var_dir() / "chain" / "anvil-state.json"


def running_node_url() -> str | None:
    """The URL of the embedded node started by ``tradeledger up``, if it is alive."""
    path = node_info_file()
    if not path.exists():
        return None
    url = str(json.loads(path.read_text())["url"])
    try:
        rpc(url, "eth_chainId", timeout=1.0)
    except (ChainError, OSError, ValueError):
        return None
    return url


def anvil_port() -> int:
    return int(os.environ.get("TRADELEDGER_ANVIL_PORT", "8545"))


@contextmanager
def embedded_node(network: NetworkSettings) -> Iterator[EmbeddedNode]:
    """Start anvil on the persisted state; record its URL while it runs."""
    from chain.node import port_or_free

    port = port_or_free(anvil_port())  # something already listening there: take a free port
    node = EmbeddedNode(
        state_file=state_file(),
        port=port,
        chain_id=network.chain_id or 31337,
        log_file=var_dir() / "run" / "anvil.log",
    )
    node.log_file.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    node.start()
    node_info_file().write_text(json.dumps({"url": node.url, "pid": node.pid}))
    try:
        yield node
    finally:
        node.stop()
        node_info_file().unlink(missing_ok=True)


def rpc_url(network: NetworkSettings) -> str:
    if network.kind == "external":
        assert network.host is not None
        return network.host
    url = running_node_url()
    if url is None:
        raise ConfigurationError(
            "the embedded chain is not running; start the stack with `make run` "
            "(or point at a node with TRADELEDGER_RPC_URL)"
        )
    return url


@dataclass
class Stack:
    settings: Settings
    network: NetworkSettings
    chain: Chain
    engine: Engine
    indexer: Indexer


def connect_chain(settings: Settings, url: str, network: NetworkSettings, *, load: bool = True) -> Chain:
    return Chain.connect(url, network, keystore(settings), load=load)


def deploy_if_needed(chain: Chain, progress: Callable[[str], None]) -> None:
    keys = chain.keystore
    addresses = [keys.get_or_create(name).address for name in (DEPLOYER, OPERATOR, *OFFICERS)]
    fund_if_embedded(chain.w3.provider.endpoint_uri, *addresses)  # type: ignore[attr-defined]
    deploy(chain, progress=progress)


def open_stack(
    settings: Settings | None = None, url: str | None = None, *, auto_migrate: bool = True
) -> Stack:
    """Connect to a deployed chain and the database, with an indexer ready to sync; every transaction
    the chain connection signs is journaled in the database's outbox first."""
    settings = settings or get_settings()
    network = network_settings()
    chain = connect_chain(settings, url or rpc_url(network), network)
    engine = make_engine(settings.database_url)
    if auto_migrate:
        migrate(engine)
    chain.journal(Outbox.beside(engine))
    indexer = Indexer(chain, engine, all_projections())
    return Stack(settings, network, chain, engine, indexer)
