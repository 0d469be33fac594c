"""The demo consortium that ``tradeledger up`` seeds on a development stack.

Seeding is idempotent: organisations already on chain are not registered
again, and their API keys are kept in ``<var>/demo-credentials.json`` (mode
0600, development only) so every run prints the same credentials.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlmodel import Session

from api.auth.service import authenticate, create_api_key
from api.participants.models import Organisation
from api.participants.service import ParticipantsService
from chain import governance
from chain.client import Chain, org_key_name
from chain.config import var_dir
from chain.deploy import OPERATOR_HANDLE
from chain.errors import Unauthorized
from chain.ids import org_id, to_hex32
from chain.indexer import Indexer
from chain.policy import Role

# handle, display name, role, legal id (only its salted commitment goes on chain)
DEMO_ORGS: tuple[tuple[str, str, str, str], ...] = (
    ("acme-motors", "ACME Motors", "core_enterprise", "LEI-5493001KJTIIGC8Y1R12"),
    ("shenzhen-precision", "Shenzhen Precision Parts", "supplier", "USCC-91440300MA5F0XXX1"),
    ("harbour-bank", "Harbour Bank", "financier", "LEI-7245009UXRIGIRYOBR48"),
    ("fastfreight", "FastFreight Logistics", "logistics", "LEI-213800MBWEIJDM5CU638"),
    ("dongguan-castings", "Dongguan Castings", "supplier", "USCC-91441900MA4W0XXX2"),
    ("tradeledger-iot", "TradeLedger IoT Oracle", "iot_oracle", "LEI-TLIOT0000000000001"),
    ("green-verify", "GreenVerify Assurance", "carbon_verifier", "LEI-GRNVRFY00000000001"),
    ("ledger-audit", "Ledger Audit & Co", "auditor", "LEI-549300TRUWO2CD2G5692"),
    ("customs-oracle-a", "Customs Oracle A (port data)", "customs_oracle", "LEI-TLCUSTOMSA00000001"),
    ("customs-oracle-b", "Customs Oracle B (single window)", "customs_oracle", "LEI-TLCUSTOMSB00000001"),
    ("customs-oracle-c", "Customs Oracle C (broker network)", "customs_oracle", "LEI-TLCUSTOMSC00000001"),
)


log = logging.getLogger(__name__)
IOT_HANDLE = "tradeledger-iot"  # the demo IoT oracle organisation
CUSTOMS_HANDLES = tuple(h for h, _, role, _ in DEMO_ORGS if role == "customs_oracle")


def credentials_file() -> Path:
    return var_dir() / "demo-credentials.json"


def seed_demo(session: Session, chain: Chain, indexer: Indexer) -> dict[str, dict[str, str]]:
    """Register the demo organisations if missing; returns handle -> {org_id, name, role, api_key}."""
    path = credentials_file()
    creds: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    service = ParticipantsService(session, chain, indexer)
    for handle, name, role, legal_id in ((OPERATOR_HANDLE, "", "operator", ""), *DEMO_ORGS):
        org = session.get(Organisation, to_hex32(org_id(handle)))
        if handle in creds and org is not None and _still_valid(session, creds[handle]["api_key"]):
            continue
        if org is None:  # the operator always exists: deployment registers it
            org, api_key, _ = service.register(handle=handle, name=name, role=role, legal_id=legal_id)
        else:
            _, api_key = create_api_key(session, org.org_id, f"demo {handle}", ["read", "write", "admin"])
        creds[handle] = {"org_id": org.org_id, "name": org.name, "role": org.role, "api_key": api_key}
        path.write_text(json.dumps(creds, indent=1))
        path.chmod(0o600)
    grant_risk_reviewers(chain, [h for h, _, role, _ in DEMO_ORGS if role == "financier"])
    return creds


def _still_valid(session: Session, api_key: str) -> bool:
    """Whether a recorded demo key opens this database (a rebuilt database keeps the credentials
    file but not the keys: those organisations get new keys)."""
    try:
        authenticate(session, api_key)
    except Unauthorized:
        return False
    return True


def grant_risk_reviewers(chain: Chain, handles: list[str]) -> None:
    """Let the demo banks' keys approve large advances: a dual-control grant, made here only when the
    network has no execution delay (the embedded chain); elsewhere officers grant it themselves."""
    if chain.dual_control().execution_delay() > 0:
        log.info("not granting RISK_REVIEWER to the demo banks: governance has an execution delay here")
        return
    manager = chain.access_manager()
    for handle in handles:
        account = chain.keystore.address(org_key_name(org_id(handle)))
        if manager.call("hasRole", int(Role.RISK_REVIEWER), account)[0]:
            continue
        op = governance.propose_and_approve(chain, manager, "grantRole", int(Role.RISK_REVIEWER), account, 0)
        governance.execute(chain, op)
