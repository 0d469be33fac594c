"""Who may open a document: its parties, and auditors a party authorised.

A document's parties are its issuer and the buyer and supplier of the order it belongs to (a
customs declaration's: its exporter and importer). An auditor or regulator organisation reads
what an organisation granted it (``auditor_grants``) or, for a regulator, what the operator recorded
a mandate for (``api/audit/grants.py``), and each such read is noted in the access log; everyone
else learns nothing, not even that the document exists.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from api.audit import log
from api.audit.grants import subjects_of
from api.auth.service import AUDITING_ROLES, Caller
from api.customs.models import CustomsDeclarationRow
from api.documents.models import StoredDocument
from api.documents.service import purchase_order_document
from api.participants.models import AuditorGrant, Organisation
from chain.errors import InvalidInput, NotFound


def document_parties(session: Session, row: StoredDocument) -> set[str]:
    parties = {row.issuer, row.buyer}
    order_doc = purchase_order_document(session, row.buyer, row.po_number)
    if order_doc is not None:
        parties.add(json.loads(order_doc.canonical)["supplier"])
    return parties


def declaration_parties(row: CustomsDeclarationRow) -> set[str]:
    return {row.exporter, row.importer}


def may_open(session: Session, caller: Caller, parties: set[str], object_id: str) -> bool:
    """A party, or an auditor/regulator that one of the parties authorised (the read is noted)."""
    if caller.org_id in parties:
        return True
    if not caller.is_auditing:
        return False
    authorising = parties & subjects_of(session, caller.org_id)
    log.note(authorising, object_id)
    return bool(authorising)


def visible_document(session: Session, caller: Caller, doc_id: str) -> StoredDocument:
    row = session.get(StoredDocument, doc_id.lower())
    if row is None or not may_open(session, caller, document_parties(session, row), row.doc_id):
        raise NotFound(f"no document {doc_id} of yours", code="document_not_found")
    return row


def grant(session: Session, caller: Caller, auditor: str) -> AuditorGrant:
    """``caller``'s organisation lets ``auditor`` read its records (idempotent)."""
    org = session.get(Organisation, auditor.lower())
    if org is None or org.role not in AUDITING_ROLES:
        raise InvalidInput(
            f"{auditor} is not an auditor or regulator of the consortium", code="not_an_auditor"
        )
    existing = session.get(AuditorGrant, (caller.org_id, org.org_id))
    if existing is not None:
        return existing
    row = AuditorGrant(subject=caller.org_id, auditor=org.org_id, granted_at=datetime.now(UTC))
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def revoke(session: Session, caller: Caller, auditor: str) -> None:
    row = session.get(AuditorGrant, (caller.org_id, auditor.lower()))
    if row is None:
        raise NotFound(f"{auditor} holds no grant of yours", code="grant_not_found")
    session.delete(row)
    session.commit()


def grants_of(session: Session, caller: Caller) -> list[AuditorGrant]:
    column = AuditorGrant.auditor if caller.is_auditing else AuditorGrant.subject
    return list(session.exec(select(AuditorGrant).where(column == caller.org_id)))
