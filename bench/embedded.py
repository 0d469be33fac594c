"""The benchmarks' stack: an embedded anvil with the contracts deployed and the demo consortium seeded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from tradeledger.runtime import Stack


@contextmanager
def demo_stack(console: Console) -> Iterator[tuple[Stack, str, dict[str, dict[str, str]]]]:
    """``(stack, node url, demo credentials)`` of a fresh embedded chain with the demo consortium (a
    temporary var dir); the credentials map each organisation handle to its id, role and API key."""
    os.environ["TRADELEDGER_VAR_DIR"] = tempfile.mkdtemp(prefix="tradeledger-bench-")
    os.environ.setdefault("TRADELEDGER_KEYSTORE_SCRYPT_N", "1024")

    from sqlmodel import Session

    from api.db import make_engine, migrate
    from api.projections import all_projections
    from api.settings import get_settings
    from chain.compiler import compile_project
    from chain.config import network_settings
    from chain.indexer import Indexer
    from chain.node import EmbeddedNode
    from tradeledger.demo import seed_demo
    from tradeledger.runtime import Stack, connect_chain, deploy_if_needed

    settings, network = get_settings(), network_settings("embedded")
    compile_project()
    with EmbeddedNode() as node:
        with console.status("deploying and seeding the demo consortium"):
            chain = connect_chain(settings, node.url, network, load=False)
            deploy_if_needed(chain, lambda _: None)
            engine = make_engine(f"sqlite:///{Path(os.environ['TRADELEDGER_VAR_DIR']) / 'bench.db'}")
            migrate(engine)
            indexer = Indexer(chain, engine, all_projections())
            indexer.sync()
            with Session(engine) as session:
                credentials = seed_demo(session, chain, indexer)
        yield Stack(settings, network, chain, engine, indexer), node.url, credentials
