"""RFC 9457 problem+json for every error, with a stable ``code``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm.exc import ObjectDeletedError
from starlette.exceptions import HTTPException

from chain.errors import TradeLedgerError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tradeledger.dev/problems/"


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error, sent as ``application/problem+json``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do about it")
    code: str = Field(description="stable machine-readable error code")
    errors: list[ProblemError] | None = Field(default=None, description="each problem of an invalid request")


def problem_response(description: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return response


# what any API operation may answer besides its success (``Problem`` is put into the OpenAPI components
# by ``api.app.document_raw_bodies``); route-level ``responses`` of the same status replace these
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_response("The request body could not be read (e.g. JSON that is not UTF-8)"),
    401: problem_response(
        "No API key, or one that is unknown or revoked", {"WWW-Authenticate": "the scheme to use: Bearer"}
    ),
    403: problem_response("The caller's role, organisation status or key scope does not allow this"),
    404: problem_response("No such object, or none the caller may see"),
    409: problem_response(
        "Conflicts with the current state (a duplicate, or a state that does not allow it)"
    ),
    413: problem_response("The request body is larger than the server accepts"),
    422: problem_response("The request is not valid; `errors` lists each problem where there are several"),
    429: problem_response(
        "Too many requests from this key", {"Retry-After": "seconds to wait before retrying"}
    ),
    503: problem_response("A part the request needs (the chain) is not reachable now; retry later"),
}


def problem(
    status: int, code: str, title: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TradeLedgerError)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None  # RFC 9110 section 11.6.1
    return problem(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    where = ", ".join(".".join(map(str, e["loc"])) for e in errors[:5])
    return problem(
        422,
        "invalid_request",
        "Invalid request",
        f"the request is not valid ({where}); see errors",
        errors=errors,
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail), headers=exc.headers)


def _reorganised(exc: BaseException) -> bool:
    """A row this request had read was deleted under it: the index was rolled back to a fork point (the
    node reorganised, or restarted from an older state) and is being rebuilt. Looks through exception
    groups and causes (which may refer to each other: each is visited once)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ObjectDeletedError):
            return True
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
    return False


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    if _reorganised(exc):
        log.warning("a row was deleted under a request while the index was rolled back: %s", exc)
        return problem(
            503,
            "index_rebuilding",
            "Index being rebuilt",
            "the chain reorganised while this request ran and the index is being rebuilt; retry in a moment "
            "(with the same Idempotency-Key for a write)",
            headers={"Retry-After": "1"},
        )
    log.exception("unhandled error", exc_info=exc)
    return problem(
        500, "internal_error", "Internal error", "something went wrong on our side; it has been logged"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(TradeLedgerError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unhandled)
