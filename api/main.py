"""``uvicorn api.main:app``: the API alone, over the configured (migrated) database, read-only on chain."""

from api.app import create_app

app = create_app()
