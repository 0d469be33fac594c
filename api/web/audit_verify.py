"""A dropped file checked against the chain by the independent verifier, as ``tradeledger verify FILE``.

The checks are ``tradeledger.audit.cli.verify_target``'s: a reading proof file needs nothing else; a
document needs its commitment salt. The salt is the one typed in the form, or else the platform's copy
of a document with exactly these (canonical) bytes that the auditor may open (as ``verify --api``
takes it from the API); every check is then made against the chain alone. A file with neither is
reported as not anchored, without saying whether another organisation anchored it.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import Request
from sqlmodel import Session, select

from api.auth.service import Caller
from api.documents.access import document_parties, may_open
from api.documents.models import StoredDocument
from api.runtime import chain_and_indexer
from chain.audit import AuditChain
from chain.errors import InvalidInput
from tradeledger.audit.cli import verify_target
from tradeledger.audit.report import Report
from tradeledger.audit.verify import recanonical

HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
Verdict = Literal["verified", "not_anchored", "failed"]


@dataclass(frozen=True)
class Verification:
    """What the verifier found about one file: its report, or none when no salt could be had."""

    filename: str
    report: Report | None
    salt_from: Literal["form", "platform", "none"]

    @property
    def verdict(self) -> Verdict:
        if self.report is None or not self.report.checks or not self.report.checks[0].ok:
            return "not_anchored"  # the first check is the anchor's: commitment, document, proof
        return "verified" if self.report.ok else "failed"


def audit_chain(request: Request) -> AuditChain:
    """The chain as an auditor reads it (RPC and deployment manifest only), at the app's node."""
    chain, _ = chain_and_indexer(request)
    return AuditChain(chain.w3.provider.endpoint_uri, chain.require_manifest())  # type: ignore[attr-defined]


def verify_upload(
    session: Session,
    caller: Caller,
    chain: Callable[[], AuditChain],
    raw: bytes,
    filename: str,
    salt: str = "",
) -> Verification:
    """``raw`` (a document or a reading proof file) checked against the ``chain()`` (opened once the input
    is known to be complete)."""
    if not raw.strip():
        raise InvalidInput("choose the file to verify, or drop it on the drop zone", code="missing_file")
    salt = salt.strip()
    if salt and not HEX32.match(salt):
        raise InvalidInput("the salt is 0x and 64 hex digits", code="invalid_salt")
    doc_id = None
    salt_from: Literal["form", "platform", "none"] = "form" if salt else "none"
    if not salt and (known := document_you_may_open(session, caller, raw)) is not None:
        salt, doc_id, salt_from = known.salt, known.doc_id, "platform"
    with tempfile.TemporaryDirectory(prefix="tradeledger-verify-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(raw)
        try:
            report = verify_target(chain(), str(path), salt=salt or None, doc_id=doc_id)
        except InvalidInput as error:
            if error.code != "salt_required":
                raise
            return Verification(filename, None, "none")
    return Verification(filename, report, salt_from)


def document_you_may_open(session: Session, caller: Caller, raw: bytes) -> StoredDocument | None:
    """The platform's document with these canonical bytes, if ``caller`` may open it (the read is noted)."""
    canonical = recanonical(raw)
    if canonical is None:
        return None
    rows = session.exec(select(StoredDocument).where(StoredDocument.canonical == canonical.decode()))
    return next((r for r in rows if may_open(session, caller, document_parties(session, r), r.doc_id)), None)
