"""``/api/v1/documents``: anchored documents, their encrypted copies and their keys; auditor grants."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth.deps import CallerDep, WriterDep
from api.db import SessionDep
from api.documents import access
from api.documents.storage import document_key, document_store, read_sealed
from chain.errors import NotFound
from chain.ids import from_hex32

router = APIRouter(prefix="/api/v1", tags=["documents"])


class StoredDocumentOut(BaseModel):
    id: str
    type: str
    number: str
    issuer: str
    commitment: str = Field(description="keccak256(abi.encode(salt, canonical bytes)), as anchored on chain")
    anchored_block: int
    anchored_tx: str
    cid: str | None = Field(description="CIDv1 of the encrypted copy in the document store (kubo-identical)")
    content: dict[str, Any]


class DocumentKeyOut(BaseModel):
    id: str
    cid: str | None
    key: str = Field(
        description="the document's AES-256-GCM key, hex; the document id is the associated data"
    )
    salt: str = Field(
        description="the commitment's salt: keccak256(abi.encode(salt, canonical)) = commitment"
    )
    commitment: str


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auditor: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the auditor or regulator organisation")


class GrantOut(BaseModel):
    subject: str
    auditor: str
    granted_at: datetime


@router.get("/documents/{doc_id}", response_model=StoredDocumentOut)
def document(doc_id: str, caller: CallerDep, session: SessionDep) -> StoredDocumentOut:
    """A document you are party to (or audit): its anchor, its CID and its content."""
    row = access.visible_document(session, caller, doc_id)
    return StoredDocumentOut(
        id=row.doc_id,
        type=row.doc_type,
        number=row.number,
        issuer=row.issuer,
        commitment=row.commitment,
        anchored_block=row.anchored_block,
        anchored_tx=row.anchored_tx,
        cid=row.cid,
        content=json.loads(row.canonical),
    )


@router.get("/documents/{doc_id}/key", response_model=DocumentKeyOut)
def key(doc_id: str, caller: CallerDep, session: SessionDep) -> DocumentKeyOut:
    """The key that opens the encrypted copy and the salt that opens the commitment (parties, auditors)."""
    row = access.visible_document(session, caller, doc_id)
    if row.wrapped_key is None:
        raise NotFound(f"document {doc_id} has no encrypted copy (anchored before the store)", code="no_copy")
    plain = document_key(row.wrapped_key, from_hex32(row.doc_id))
    return DocumentKeyOut(
        id=row.doc_id, cid=row.cid, key=plain.hex(), salt=row.salt, commitment=row.commitment
    )


@router.get("/documents/{doc_id}/sealed", response_class=Response)
def sealed(doc_id: str, caller: CallerDep, session: SessionDep) -> Response:
    """The encrypted copy's bytes, as the document store holds them under the CID."""
    row = access.visible_document(session, caller, doc_id)
    if row.cid is None:
        raise NotFound(f"document {doc_id} has no encrypted copy", code="no_copy")
    return Response(read_sealed(row.cid), media_type="application/octet-stream")


@router.get("/documents/{doc_id}/car", response_class=Response)
def car(doc_id: str, caller: CallerDep, session: SessionDep) -> Response:
    """The encrypted copy as a CAR file (CARv1), importable into any IPFS node."""
    row = access.visible_document(session, caller, doc_id)
    if row.cid is None:
        raise NotFound(f"document {doc_id} has no encrypted copy", code="no_copy")
    out = io.BytesIO()
    document_store().export_car(row.cid, out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.ipld.car",
        headers={"Content-Disposition": f'attachment; filename="{row.cid}.car"'},
    )


@router.post("/auditor-grants", status_code=201, response_model=GrantOut)
def grant(body: GrantIn, caller: WriterDep, session: SessionDep) -> GrantOut:
    """Let an auditor or regulator organisation read your records and open your documents."""
    row = access.grant(session, caller, body.auditor)
    return GrantOut(subject=row.subject, auditor=row.auditor, granted_at=row.granted_at)


@router.get("/auditor-grants", response_model=list[GrantOut])
def grants(caller: CallerDep, session: SessionDep) -> list[GrantOut]:
    """The auditors you authorised (an auditor: the organisations that authorised it)."""
    return [
        GrantOut(subject=g.subject, auditor=g.auditor, granted_at=g.granted_at)
        for g in access.grants_of(session, caller)
    ]


@router.delete("/auditor-grants/{auditor}", status_code=204, response_class=Response)
def revoke(auditor: str, caller: WriterDep, session: SessionDep) -> Response:
    """Withdraw an auditor's access to your records."""
    access.revoke(session, caller, auditor)
    return Response(status_code=204)
