"""``create_app``: the FastAPI application, OpenAPI at ``/docs``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Engine

from api import errors
from api.audit.log import RecordReads
from api.audit.router import router as audit_router
from api.auth.gate import KeyRequired
from api.auth.router import router as api_keys_router
from api.carbon.account import router as carbon_account_router
from api.carbon.router import router as carbon_router
from api.carbon.score import router as carbon_score_router
from api.compliance.router import router as compliance_router
from api.credit.router import router as credit_router
from api.customs.router import router as customs_router
from api.db import POOL, make_engine
from api.documents.router import router as documents_router
from api.financing.router import router as financing_router
from api.limits import BodyLimit, InFlight, RateLimit
from api.orders.router import router as orders_router
from api.orders.schemas import PurchaseOrderIn
from api.participants.router import router as participants_router
from api.receivables.router import router as receivables_router
from api.settings import Settings, get_settings
from api.system.router import Metrics, RecordRequests
from api.system.router import router as system_router
from api.web import site as web_site

API_VERSION = "0.1.0"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The API and the web UI over ``engine`` (default: ``settings.database_url``, already migrated).

    ``app.state.chain`` and ``app.state.indexer`` are set by the supervisor; without them
    the app serves reads and answers writes with 503 ``chain_unavailable``.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="tradeledger",
        version=API_VERSION,
        description="Permissioned-blockchain ledger for supply chain finance and carbon accounting. "
        "Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 problem+json "
        "with a stable `code`.",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.chain = None
    app.state.indexer = None
    app.state.metrics = Metrics()
    errors.install(app)
    app.add_middleware(
        KeyRequired, router=app.router
    )  # innermost: 401 before a keyless call's body is parsed
    app.add_middleware(RecordRequests, metrics=app.state.metrics)
    app.add_middleware(RecordReads)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        InFlight, limit=(POOL["pool_size"] + POOL["max_overflow"]) // 2, reads=settings.read_concurrency
    )
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
    app.include_router(system_router)
    api_routers = (
        participants_router,
        api_keys_router,
        orders_router,
        receivables_router,
        financing_router,
        credit_router,
        documents_router,
        customs_router,
        carbon_router,
        carbon_account_router,
        carbon_score_router,
        audit_router,
        compliance_router,
    )
    for api_router in api_routers:  # every API operation documents the problem+json errors it may answer
        app.include_router(api_router, responses=errors.PROBLEM_RESPONSES)
    web_site.install(app)  # the web UI at /
    document_raw_bodies(app, PurchaseOrderIn, errors.Problem)
    return app


def document_raw_bodies(app: FastAPI, *models: type[BaseModel]) -> None:
    """Put models that routes parse from the raw body themselves (named in ``openapi_extra``, e.g. the
    JSON purchase order beside its CSV form) into the OpenAPI components, so every ``$ref`` resolves."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in extra.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components.setdefault(model.__name__, extra)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
