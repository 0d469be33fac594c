"""``python -m oracles.iot``: run one IoT oracle instance until SIGTERM or Ctrl-C.

Configuration (environment): ``TRADELEDGER_MQTT_URL`` (``mqtt://host:1883``, ``mqtts://user:pw@host:8883``),
``TRADELEDGER_IOT_ORACLE_KEY`` (the keystore name of the oracle organisation's key),
``TRADELEDGER_IOT_CLIENT_ID`` (stable per instance: it names the persistent session),
``TRADELEDGER_IOT_GROUP``, ``TRADELEDGER_IOT_BATCH_SIZE``, ``TRADELEDGER_IOT_BATCH_AGE``,
``TRADELEDGER_IOT_MAX_SKEW``, ``TRADELEDGER_MQTT_CA_FILE``; the chain and database as for every
part (``TRADELEDGER_RPC_URL`` or ``TRADELEDGER_NETWORK``, ``DATABASE_URL``, keystore settings).
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from api.db import make_engine, migrate
from api.settings import get_settings
from chain.client import Chain
from chain.config import network_settings, var_dir
from chain.errors import ConfigurationError
from chain.keys import KeyStore
from oracles.iot.worker import IotOracle, OracleConfig


def config_from_env() -> OracleConfig:
    env = os.environ.get
    return OracleConfig(
        broker_url=env("TRADELEDGER_MQTT_URL", "mqtt://127.0.0.1:1883"),
        group=env("TRADELEDGER_IOT_GROUP", "tradeledger-iot-oracles"),
        client_id=env("TRADELEDGER_IOT_CLIENT_ID", "tradeledger-iot-oracle-1"),
        batch_size=int(env("TRADELEDGER_IOT_BATCH_SIZE", "256")),
        batch_age=float(env("TRADELEDGER_IOT_BATCH_AGE", "5")),
        max_skew=int(env("TRADELEDGER_IOT_MAX_SKEW", "300")),
        ca_file=env("TRADELEDGER_MQTT_CA_FILE"),
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, network = get_settings(), network_settings()
    if network.host is None:
        raise ConfigurationError("the IoT oracle needs a running chain: set TRADELEDGER_RPC_URL")
    key = os.environ.get("TRADELEDGER_IOT_ORACLE_KEY")
    if not key:
        raise ConfigurationError("set TRADELEDGER_IOT_ORACLE_KEY to the keystore name of the oracle's key")
    keystore = KeyStore(var_dir() / "keys", settings.keystore_password.get_secret_value())
    chain = Chain.connect(network.host, network, keystore)
    engine = make_engine(settings.database_url)
    migrate(engine)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    IotOracle(config_from_env(), engine, chain, key).run(stop)


if __name__ == "__main__":
    main()
