"""``/api/v1/compliance``: the compliance report on a period, as JSON and as a readable page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.audit.log import note
from api.auth.deps import CallerDep
from api.compliance.page import render
from api.compliance.records import Period
from api.compliance.rules import Parameters
from api.compliance.schemas import ComplianceReportOut
from api.compliance.service import RpcFacts, build_report, scope_for
from api.db import SessionDep
from api.runtime import chain_and_indexer

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])


def _report(
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    start: Annotated[str, Query(alias="from", description="ISO 8601 with a timezone, included")],
    end: Annotated[str, Query(alias="to", description="ISO 8601 with a timezone, excluded")],
    large_financing: Annotated[
        list[str] | None,
        Query(description="CURRENCY:MINOR_UNITS, repeatable; default 1,000,000.00 of each currency"),
    ] = None,
    rapid_min_hops: Annotated[int, Query(ge=1, le=1_000)] = 3,
    rapid_window_hours: Annotated[int, Query(ge=1, le=24 * 366)] = 24,
) -> dict[str, Any]:
    scope = scope_for(session, caller)
    note(scope or ())  # the access log: an auditor or regulator read the records of these organisations
    period = Period.parse(start, end)
    params = Parameters(
        Parameters.parse_large(large_financing or ()), rapid_min_hops, timedelta(hours=rapid_window_hours)
    )
    chain, _ = chain_and_indexer(request)
    return build_report(session, RpcFacts(chain), period, params, scope)


ReportDep = Annotated[dict[str, Any], Depends(_report)]


@router.get("/report", response_model=ComplianceReportOut)
def report(report: ReportDep) -> JSONResponse:
    """Findings for the period: large financings, rapid split-and-transfer chains, circular trades,
    financings above the review threshold and their review, overdue receivables. The operator sees the
    whole consortium; an auditor or regulator the organisations its grants and mandates cover."""
    return JSONResponse(report)


@router.get("/report.html", response_class=HTMLResponse)
def report_html(report: ReportDep) -> HTMLResponse:
    """The same report as a readable page: a table per finding type."""
    return HTMLResponse(render(report))
