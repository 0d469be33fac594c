"""``install``: the web UI's routes and static files on the app (the API stays under ``/api/v1``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import audit, carbon, cash, credits, financing, logistics, orders, receivables, router
from chain.config import project_root

STATIC = Path(__file__).parent / "static"


def htmx_dist() -> Path:
    """htmx as npm installed it (``package.json``; ``make`` runs ``npm ci``), served from here, no CDN."""
    return project_root() / "node_modules" / "htmx.org" / "dist"


def install(app: FastAPI) -> None:
    app.include_router(router.router)
    for section in (orders, receivables, financing, cash, credits, logistics, carbon, audit):
        app.include_router(section.router)
    # the pages work without it (forms post as forms): a checkout without node_modules still serves them
    app.mount("/static/vendor/htmx", StaticFiles(directory=htmx_dist(), check_dir=False), name="htmx")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
