"""``python -m bench.api_server --port P``: the API under load, in its own process, as ``tradeledger up``
serves it (the app over the chain and its indexer) plus ``GET /bench/noop``, the trivial endpoint the
API benchmarks' baseline is measured on. Chain, database and keystore come from the environment the
suite sets (``TRADELEDGER_RPC_URL``, ``TRADELEDGER_DATABASE_URL``, ``TRADELEDGER_VAR_DIR``)."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from api.app import create_app
    from api.db import make_engine
    from api.projections import all_projections
    from api.settings import get_settings
    from chain.config import network_settings
    from chain.indexer import Indexer
    from chain.outbox import Outbox
    from tradeledger.runtime import connect_chain

    settings, network = get_settings(), network_settings()
    assert network.host is not None, "set TRADELEDGER_RPC_URL"
    chain = connect_chain(settings, network.host, network)
    engine = make_engine(settings.database_url)
    chain.journal(Outbox.beside(engine))  # as `tradeledger up` and `tradeledger api` do: its cost is measured
    app = create_app(settings, engine=engine)
    app.state.chain = chain
    app.state.indexer = Indexer(chain, engine, all_projections())

    @app.get("/bench/noop", include_in_schema=False)
    def noop() -> dict[str, bool]:
        return {"ok": True}

    # keep-alive longer than the load's pauses: a connection closed while idle fails the next request on it
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_keep_alive=60)


if __name__ == "__main__":
    main()
