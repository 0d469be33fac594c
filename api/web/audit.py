"""The auditor's pages: verify a document by dropping it, look up any record, export an audit pack.

For auditors and regulators only (others get 403 ``role_required``): the organisations that authorised
them (``api.audit.service``), any record of theirs by id or tx hash (``api.audit.lookup``), a dropped
file checked by ``tradeledger verify``'s code (``audit_verify``) and a pack built by ``tradeledger
audit export``'s code (``audit_pack``). Verify and export are posts that read only: ``FormReader``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.audit import service
from api.audit.lookup import lookup as find_record
from api.audit.service import Auditing, auditing
from api.credit.service import CreditService
from api.db import Page, SessionDep
from api.participants.service import ParticipantsService
from api.runtime import chain_and_indexer
from api.web.audit_evidence import evidence
from api.web.audit_pack import build_pack
from api.web.audit_verify import audit_chain, verify_upload
from api.web.pages import WebRoute, render
from api.web.session import FormReader, PageViewer, Viewer
from chain.client import Chain
from chain.errors import TradeLedgerError

router = APIRouter(prefix="/audit", route_class=WebRoute, include_in_schema=False)
LISTED = Page(limit=50, offset=0)  # an organisation's page lists the first 50 records of each kind


def _audit(session: Session, viewer: Viewer) -> Auditing:
    return auditing(viewer.caller, session)  # 403 role_required for anyone but auditors and regulators


def _names(session: Session) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    audit = _audit(session, viewer)
    return render(request, "audit/home.html", {"authorised": service.authorised(session, audit)})


# --- verify a document ----------------------------------------------------------------------------


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    _audit(session, viewer)
    return render(request, "audit/verify.html")


@router.post("/verify", response_class=HTMLResponse)
async def verify(
    request: Request,
    session: SessionDep,
    viewer: FormReader,
    document: Annotated[UploadFile | None, File(description="the document or reading proof")] = None,
    salt: Annotated[str, Form()] = "",
) -> Response:
    """Check the file against the chain (nothing is written); the result, or the form with the error."""
    raw = await document.read() if document is not None else b""
    filename = (document.filename or "") if document is not None else ""
    try:
        audit = _audit(session, viewer)
        found = await run_in_threadpool(
            verify_upload, session, audit.caller, lambda: audit_chain(request), raw, filename, salt
        )
    except TradeLedgerError as error:
        return render(request, "audit/verify.html", {"error": error, "salt": salt}, status=error.status)
    return render(request, "audit/verify.html", {"result": found, "names": _names(session)})


# --- look up any record ---------------------------------------------------------------------------


@router.get("/lookup", response_class=HTMLResponse)
def lookup(request: Request, session: SessionDep, viewer: PageViewer, q: str = "") -> Response:
    """A receivable, order, financing, letter of credit or document id, or a tx hash, as the
    organisations that authorised you see it; anything else is not found."""
    audit = _audit(session, viewer)
    context: dict[str, Any] = {"q": q.strip(), "names": _names(session)}
    if not q.strip():
        return render(request, "audit/lookup.html", context)
    try:
        found = find_record(
            session, lambda: _chain(request), CreditService.for_request(session, request), audit, q
        )
    except TradeLedgerError as error:
        return render(request, "audit/lookup.html", {**context, "error": error}, status=error.status)
    rows = {r.id: evidence(r) for r in found.records}
    return render(request, "audit/lookup.html", {**context, "found": found, "evidence": rows})


def _chain(request: Request) -> Chain:
    return chain_and_indexer(request)[0]


# --- an organisation's records and its audit pack -------------------------------------------------


@router.get("/organisations/{org_id}", response_class=HTMLResponse)
def organisation(request: Request, org_id: str, session: SessionDep, viewer: PageViewer) -> Response:
    return _organisation_page(request, session, _audit(session, viewer), org_id)


def _organisation_page(
    request: Request, session: Session, audit: Auditing, org_id: str, **extra: Any
) -> Response:
    party = audit.subject(org_id)  # 404 organisation_not_found unless it authorised you
    [authorised] = [a for a in service.authorised(session, audit) if a.organisation.id == party.org_id]
    today = datetime.now(UTC).date()
    context = {
        "org": authorised,
        "names": _names(session),
        "receivables": service.receivables(session, party, LISTED),
        "orders": service.orders(session, party, LISTED),
        "financings": service.financings(session, party, LISTED),
        "credits": service.letters_of_credit(CreditService.for_request(session, request), party, LISTED),
        "documents": service.documents(session, audit, party, LISTED),
        "period": {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()},
        **extra,
    }
    error = extra.get("error")
    return render(request, "audit/organisation.html", context, status=error.status if error else 200)


@router.post("/pack")
async def pack(
    request: Request,
    session: SessionDep,
    viewer: FormReader,
    org: Annotated[str, Form()] = "",
    start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "",
) -> Response:
    """The organisation's audit pack for the period, as a zip (nothing is written but the download)."""
    audit = _audit(session, viewer)
    try:
        built = await run_in_threadpool(build_pack, _chain(request), session, audit, org, start, end)
    except TradeLedgerError as error:
        period = {"from": start, "to": end}
        return _organisation_page(request, session, audit, org, error=error, period=period)
    return Response(
        built.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{built.name}.zip"',
            "X-Manifest-Hash": built.manifest["manifest_hash"],
        },
    )
