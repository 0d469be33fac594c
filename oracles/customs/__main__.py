"""``python -m oracles.customs``: run one customs oracle operator until SIGTERM or Ctrl-C.

Configuration (environment): ``TRADELEDGER_CUSTOMS_OPERATOR_KEY`` (the keystore name of the
operator organisation's key; its organisation must have the customs oracle role), and one feed:
``TRADELEDGER_CUSTOMS_FEED_URL`` (a customs authority's JSON event feed) or
``TRADELEDGER_CUSTOMS_INBOX`` (a folder another system drops declaration files into);
``TRADELEDGER_CUSTOMS_SALT_KEY`` (shared by all operators); ``TRADELEDGER_CUSTOMS_POLL_INTERVAL``;
the chain and database as for every part (``TRADELEDGER_RPC_URL`` or ``TRADELEDGER_NETWORK``,
``DATABASE_URL``, keystore settings).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from api.db import make_engine, migrate
from api.settings import get_settings, secret_key
from chain.client import Chain
from chain.config import network_settings, var_dir
from chain.errors import ConfigurationError
from chain.ids import to_hex32
from chain.keys import KeyStore
from chain.outbox import Outbox
from oracles.customs.feeds import CustomsFeed, HttpFeed, InboxFeed
from oracles.customs.operator import CustomsOperator, OperatorConfig


def feed_from_env() -> CustomsFeed:
    url, inbox = os.environ.get("TRADELEDGER_CUSTOMS_FEED_URL"), os.environ.get("TRADELEDGER_CUSTOMS_INBOX")
    if url and inbox:
        raise ConfigurationError("set TRADELEDGER_CUSTOMS_FEED_URL or TRADELEDGER_CUSTOMS_INBOX, not both")
    if url:
        return HttpFeed(url)
    if inbox:
        return InboxFeed(Path(inbox))
    raise ConfigurationError(
        "the customs oracle needs a feed: set TRADELEDGER_CUSTOMS_FEED_URL or TRADELEDGER_CUSTOMS_INBOX"
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, network = get_settings(), network_settings()
    if network.host is None:
        raise ConfigurationError("the customs oracle needs a running chain: set TRADELEDGER_RPC_URL")
    key = os.environ.get("TRADELEDGER_CUSTOMS_OPERATOR_KEY")
    if not key:
        raise ConfigurationError("set TRADELEDGER_CUSTOMS_OPERATOR_KEY to the keystore name of its key")
    keystore = KeyStore(var_dir() / "keys", settings.keystore_password.get_secret_value())
    chain = Chain.connect(network.host, network, keystore)
    org = chain.participants().org_of(keystore.address(key))
    engine = make_engine(settings.database_url)
    migrate(engine)
    chain.journal(Outbox.beside(engine))  # what it signs survives a node that restarts from an older state
    config = OperatorConfig(
        org=to_hex32(org),
        key=key,
        salt_key=secret_key(settings, "customs_salt_key"),
        poll_interval=float(os.environ.get("TRADELEDGER_CUSTOMS_POLL_INTERVAL", "2")),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=chain.watch_outbox, args=(stop,), name="outbox", daemon=True).start()
    CustomsOperator(config, feed_from_env(), engine, chain).run(stop)


if __name__ == "__main__":
    main()
