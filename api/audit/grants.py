"""Who may audit whom: grants an organisation makes (``auditor_grants``) and regulators' mandates the
operator records (``regulator_mandates``). Either authorises reading the subject's records, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlmodel import Session, col, select

from api.audit.models import RegulatorMandate
from api.auth.service import AUDITING_ROLES, Caller
from api.participants.models import AuditorGrant, Organisation
from chain.errors import Forbidden, InvalidInput, NotFound

Via = Literal["grant", "mandate"]


@dataclass(frozen=True)
class Authorisation:
    subject: str
    auditor: str
    via: Via
    since: datetime


def authorisations_of(session: Session, auditor: str) -> list[Authorisation]:
    """What ``auditor`` may read: one entry per grant and per mandate, oldest first."""
    grants = session.exec(select(AuditorGrant).where(AuditorGrant.auditor == auditor))
    mandates = session.exec(select(RegulatorMandate).where(RegulatorMandate.regulator == auditor))
    found = [Authorisation(g.subject, auditor, "grant", g.granted_at) for g in grants]
    found += [Authorisation(m.subject, auditor, "mandate", m.recorded_at) for m in mandates]
    return sorted(found, key=lambda a: (_utc(a.since), a.subject))


def subjects_of(session: Session, auditor: str) -> set[str]:
    """The organisations ``auditor`` may read."""
    return {a.subject for a in authorisations_of(session, auditor)}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite hands back naive UTC


# --- mandates (the operator records them) -------------------------------------------------------


def record_mandate(session: Session, caller: Caller, regulator: str, subject: str) -> RegulatorMandate:
    """The operator records that ``regulator`` supervises ``subject`` (idempotent)."""
    if not caller.is_operator:
        raise Forbidden("only the consortium operator records regulators' mandates", code="role_required")
    reg = session.get(Organisation, regulator.lower())
    if reg is None or reg.role != "regulator":
        raise InvalidInput(f"{regulator} is not a regulator of the consortium", code="not_a_regulator")
    member = session.get(Organisation, subject.lower())
    if member is None or member.role in AUDITING_ROLES:
        raise InvalidInput(
            f"{subject} is not a member a regulator can supervise (an auditing organisation is not)",
            code="invalid_subject",
        )
    existing = session.get(RegulatorMandate, (member.org_id, reg.org_id))
    if existing is not None:
        return existing
    row = RegulatorMandate(
        subject=member.org_id, regulator=reg.org_id, recorded_by=caller.org_id, recorded_at=datetime.now(UTC)
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def withdraw_mandate(session: Session, caller: Caller, regulator: str, subject: str) -> None:
    if not caller.is_operator:
        raise Forbidden("only the consortium operator withdraws regulators' mandates", code="role_required")
    row = session.get(RegulatorMandate, (subject.lower(), regulator.lower()))
    if row is None:
        raise NotFound(f"{regulator} holds no mandate over {subject}", code="mandate_not_found")
    session.delete(row)
    session.commit()


def mandates_for(session: Session, caller: Caller) -> list[RegulatorMandate]:
    """The operator: every mandate; a regulator: its own; any other member: those over it."""
    query = select(RegulatorMandate)
    if caller.role == "regulator":
        query = query.where(RegulatorMandate.regulator == caller.org_id)
    elif not caller.is_operator:
        query = query.where(RegulatorMandate.subject == caller.org_id)
    return list(session.exec(query.order_by(col(RegulatorMandate.recorded_at))))
