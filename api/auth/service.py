"""Issuing, checking and revoking API keys.

A key reads ``tl_<8 hex prefix>_<secret>``. The prefix finds the row; the
HMAC-SHA256 of the whole key under the server's pepper is compared in
constant time, so a stolen database does not yield usable keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from api.auth.models import ApiKey
from api.participants.models import Organisation
from api.settings import get_settings
from chain.errors import InvalidInput, NotFound, Unauthorized

SCOPES = ("read", "write", "admin")
AUDITING_ROLES = ("auditor", "regulator")  # read-only organisations: they write nothing to the ledger
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """Who is calling: an API key of one organisation."""

    org_id: str
    role: str  # the organisation's role slug
    status: str  # active | suspended
    key_id: int
    scopes: tuple[str, ...]

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def is_auditing(self) -> bool:
        """An auditor or regulator: reads what organisations authorised it to, writes nothing."""
        return self.role in AUDITING_ROLES


def _digest(plaintext: str, pepper: str | None = None) -> str:
    key = (pepper if pepper is not None else get_settings().api_key_pepper.get_secret_value()).encode()
    return hmac.new(key, plaintext.encode(), hashlib.sha256).hexdigest()


def create_api_key(session: Session, org_id: str, label: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key for ``org_id``; the plaintext is returned once and never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            f"unknown scopes {unknown or scopes}; use some of {', '.join(SCOPES)}", code="invalid_scopes"
        )
    prefix = "tl_" + secrets.token_hex(4)
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        org_id=org_id.lower(),
        label=label,
        prefix=prefix,
        hash=_digest(plaintext),
        scopes=",".join(s for s in SCOPES if s in scopes),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, plaintext


# the key and its organisation in one query, built once: every request authenticates
_KEY_AND_ORGANISATION = (
    select(ApiKey, Organisation)
    .join(Organisation, col(Organisation.org_id) == col(ApiKey.org_id))
    .where(col(ApiKey.prefix) == bindparam("prefix"))
)


def authenticate(session: Session, plaintext: str) -> Caller:
    """The caller holding ``plaintext``; 401 ``invalid_api_key`` for anything else."""
    invalid = Unauthorized(
        "the API key is not valid (unknown or revoked); ask your organisation's admin for a new one",
        code="invalid_api_key",
    )
    parts = plaintext.split("_")
    if len(parts) < 3 or parts[0] != "tl":
        raise invalid
    found = session.exec(_KEY_AND_ORGANISATION, params={"prefix": f"tl_{parts[1]}"}).first()
    if found is None:
        raise invalid
    row, org = found
    if row.revoked_at is not None or not hmac.compare_digest(row.hash, _digest(plaintext)):
        raise invalid
    _touch(session, row)
    assert row.id is not None
    return Caller(row.org_id, org.role, org.status, row.id, tuple(row.scopes.split(",")))


def _touch(session: Session, row: ApiKey) -> None:
    """Record the key's use, at most once per ``LAST_USED_RESOLUTION``, so most reads write nothing."""
    now = datetime.now(UTC)
    last = row.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
        session.commit()
        session.refresh(row)


def list_keys(session: Session, org_id: str) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(ApiKey.org_id == org_id).order_by(col(ApiKey.id))).all())


def revoke_api_key(session: Session, org_id: str, key_id: int) -> ApiKey:
    """Revoke one of ``org_id``'s own keys; another organisation's key is simply not found."""
    row = session.get(ApiKey, key_id)
    if row is None or row.org_id != org_id:
        raise NotFound(
            f"no API key {key_id} in your organisation; list them with GET /api/v1/api-keys",
            code="api_key_not_found",
        )
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        session.commit()
        session.refresh(row)
    return row
