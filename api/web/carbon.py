"""The carbon dashboard: emissions by scope over time, per facility, order and shipment; devices and
their health with the batches their readings were anchored in; credits issued and retired.

Figures come from ``api.carbon.overview`` over the carbon API's own reads (``GET /api/v1/carbon/
statements``, ``/devices``, ``/iot/ingestion``, ``/carbon/account``), so a page shows exactly what the
API shows the same organisation: its own statements (a carbon verifier: every one), devices and credits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.carbon import overview
from api.carbon.account import account
from api.carbon.overview import SCOPES, StatedEmission
from api.carbon.router import DeviceOut, batches, devices, ingestion
from api.db import SessionDep
from api.participants.service import ParticipantsService
from api.runtime import chain_and_indexer
from api.web.charts import BarChart, Series, stacked_bars
from api.web.pages import TEMPLATES, WebRoute, render, short
from api.web.session import PageViewer

router = APIRouter(prefix="/carbon", route_class=WebRoute, include_in_schema=False)
SCOPE_NAMES = {1: "Scope 1", 2: "Scope 2", 3: "Scope 3"}


def kg_co2e(grams: int) -> str:
    """``10732`` grams -> ``"10.732"`` kg (exact: three decimals are grams)."""
    sign, grams = ("-" if grams < 0 else ""), abs(int(grams))
    return f"{sign}{grams // 1000:,}.{grams % 1000:03d}"


def unix_time(seconds: int | None) -> str:
    """Unix seconds as ISO 8601 UTC (``2026-03-01T08:00:00Z``)."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(int(seconds), UTC).isoformat().replace("+00:00", "Z")


TEMPLATES.env.filters["kg_co2e"] = kg_co2e
TEMPLATES.env.filters["unix_time"] = unix_time


def _kg(grams: int) -> str:
    """An axis tick or a bar's tooltip: ``10 kg``, ``10.732 kg``."""
    return f"{kg_co2e(grams).removesuffix('.000')} kg"


def _period_labels(periods: Sequence[tuple[int, int]]) -> list[str]:
    """A short axis label per period: its start date, or date and time when dates repeat."""
    days = [unix_time(start)[:10] for start, _ in periods]
    if len(set(days)) == len(days):
        return days
    return [unix_time(start)[5:16].replace("T", " ") for start, _ in periods]


def _time_chart(periods: Sequence[overview.PeriodTotals]) -> BarChart:
    labels = _period_labels([(p.period_start, p.period_end) for p in periods])
    return stacked_bars(
        "emissions-over-time",
        "Emissions over time by scope (kg CO2e)",
        "Stacked bars, one per stated period, of scope 1, 2 and 3 emissions; the table below lists them.",
        labels,
        [Series(SCOPE_NAMES[s], [p.grams[s] for p in periods], f"chart-scope-{s}") for s in SCOPES],
        _kg,
    )


def _subject_chart(
    chart_id: str, title: str, items: Iterable[StatedEmission], scopes: Sequence[int]
) -> BarChart:
    """Grams per subject (a facility, an order or a shipment) and scope, over all their periods."""
    grams: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(scopes, 0))
    for item in items:
        grams[subject_label(item)][item.statement.scope] += item.statement.grams_co2
    subjects = list(grams)
    return stacked_bars(
        chart_id,
        title,
        "Bars, one per subject, of its stated emissions over all periods; the table below lists them.",
        subjects,
        [Series(SCOPE_NAMES[s], [grams[k][s] for k in subjects], f"chart-scope-{s}") for s in scopes],
        _kg,
    )


def subject_label(item: StatedEmission) -> str:
    """What a statement is about, briefly: ``BL-1``, ``order 0x1234…cdef``, a facility's binding, or the
    whole organisation."""
    if item.label and item.label.startswith("shipment:"):
        return item.label.removeprefix("shipment:")
    if item.label and item.label.startswith("order:"):
        return f"order {short(item.label.removeprefix('order:'), 4)}"
    if item.kind == "facility" or item.statement.scope == 3:
        return short(item.subject, 4)
    return "whole organisation"


def _bound_devices(devices_out: Iterable[DeviceOut]) -> dict[str, list[str]]:
    """Binding -> the kinds of the caller's devices bound to it (what names a facility here)."""
    bound: dict[str, list[str]] = defaultdict(list)
    for d in devices_out:
        bound[d.binding].append(d.kind.replace("_", " "))
    return bound


def _names(session: SessionDep) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    chain, _ = chain_and_indexer(request)
    items = overview.stated_emissions(chain, session, viewer.caller)
    periods = overview.over_time(items)
    facilities = [i for i in items if i.kind == "facility"]
    freight = [i for i in items if i.statement.scope == 3]
    context = {
        "items": items,
        "totals": overview.totals_by_scope(items),
        "periods": periods,
        "time_chart": _time_chart(periods) if periods else None,
        "facilities": facilities,
        "facility_chart": _subject_chart(
            "emissions-per-facility", "Emissions per facility (kg CO2e)", facilities, (1, 2)
        )
        if facilities
        else None,
        "freight": freight,
        "freight_chart": _subject_chart(
            "emissions-per-shipment", "Freight emissions per order and shipment (kg CO2e)", freight, (3,)
        )
        if freight
        else None,
        "bound": _bound_devices(devices(viewer.caller, session)),
        "names": _names(session),
        "every_org": viewer.caller.role == "carbon_verifier",
        "subject_label": subject_label,
        "section": "emissions",
    }
    return render(request, "carbon/dashboard.html", context)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    caller = viewer.caller
    activity = overview.device_activity(session, caller.org_id)
    now = datetime.now(UTC)
    rows = [
        (d, activity.get(d.id), overview.health(d.status, activity.get(d.id), now))
        for d in devices(caller, session)
    ]
    oracle = caller.role == "iot_oracle"  # it anchors everyone's batches: the latest, as the API lists them
    context = {
        "rows": rows,
        "stale_after_minutes": int(overview.STALE_AFTER.total_seconds() // 60),
        "oracle": oracle,
        "batches": batches(caller, session, limit=20)
        if oracle
        else overview.batches_of(session, caller.org_id),
        "ingestion": ingestion(caller, session),
        "section": "devices",
    }
    return render(request, "carbon/devices.html", context)


@router.get("/credits", response_class=HTMLResponse)
def credits_page(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    caller = viewer.caller
    held = account(caller, session, request)
    issued = overview.credits_issued(session, caller.org_id)
    retired = overview.credits_retired(session, caller.org_id)
    tokens = list(dict.fromkeys([e.token_id for e in issued] + [h.token_id for h in held.credits]))
    holdings = {h.token_id: h.kg for h in held.credits}
    retired_by_token: dict[str, int] = defaultdict(int)
    for e in retired:
        retired_by_token[e.token_id] += e.kg
    chart = (
        stacked_bars(
            "credits-per-token",
            "Carbon credits held and retired per token (kg CO2e)",
            "Stacked bars, one per credit token, of the kilograms held and retired; the tables list them.",
            [short(t, 4) for t in tokens],
            [
                Series("Held", [holdings.get(t, 0) * 1000 for t in tokens], "chart-held"),
                Series("Retired", [retired_by_token[t] * 1000 for t in tokens], "chart-retired"),
            ],
            _kg,
        )
        if tokens
        else None
    )
    context = {
        "account": held,
        "issued": issued,
        "retired": retired,
        "issued_kg": sum(e.kg for e in issued),
        "held_kg": sum(holdings.values()),
        "chart": chart,
        "section": "credits",
    }
    return render(request, "carbon/credits.html", context)
