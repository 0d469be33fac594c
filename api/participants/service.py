"""Consortium administration: registering and suspending organisations on chain.

Writes go to the chain (signed by the consortium operator's key); the rows the
API reads come back through the indexer, which this service runs up to the
transaction's block before answering, so the response reflects the chain.
"""

from __future__ import annotations

from sqlmodel import Session

from api.auth.service import create_api_key
from api.participants.models import Organisation, OrganisationLegalId
from chain.client import OPERATOR, Chain, org_key_name
from chain.errors import Conflict, InvalidInput, NotFound
from chain.ids import commitment, from_hex32, new_salt, org_id, to_hex32
from chain.indexer import Indexer
from chain.node import fund_if_embedded
from chain.policy import OrgRole

REGISTRABLE_ROLES = sorted(r.slug for r in OrgRole if r not in (OrgRole.NONE, OrgRole.OPERATOR))


class ParticipantsService:
    def __init__(self, session: Session, chain: Chain, indexer: Indexer) -> None:
        self.session = session
        self.chain = chain
        self.indexer = indexer

    def get(self, org: str) -> Organisation:
        found = self.session.get(Organisation, org.lower())
        if found is None:
            raise NotFound(f"no organisation {org}; list them with GET /api/v1/organisations", code="organisation_not_found")
        return found

    def register(self, *, handle: str, name: str, role: str, legal_id: str) -> tuple[Organisation, str]:
        """Register an organisation on chain with a new signing key; returns it and its first API key."""
        if role not in REGISTRABLE_ROLES:
            raise InvalidInput(
                f"role {role!r} cannot be registered here; use one of {', '.join(REGISTRABLE_ROLES)}",
                code="invalid_role",
            )
        oid = org_id(handle)
        if self.session.get(Organisation, to_hex32(oid)) is not None:
            raise Conflict(f"an organisation with handle {handle!r} is already registered", code="organisation_exists")
        account = self.chain.keystore.get_or_create(org_key_name(oid))
        fund_if_embedded(self.chain.w3.provider.endpoint_uri, account.address)  # type: ignore[attr-defined]
        salt = new_salt()
        receipt = self.chain.participants(OPERATOR).register_organisation(
            oid, name, OrgRole.from_slug(role), commitment(legal_id.encode(), salt), [account.address]
        )
        self.indexer.sync(receipt.block_number)
        self.session.add(OrganisationLegalId(org_id=to_hex32(oid), legal_id=legal_id, salt=to_hex32(salt)))
        self.session.commit()
        _, api_key = create_api_key(self.session, to_hex32(oid), "first key", ["read", "write", "admin"])
        return self.get(to_hex32(oid)), api_key

    def suspend(self, org: str) -> Organisation:
        """Suspend an organisation (circuit breaker); reinstating needs dual control."""
        target = self.get(org)
        receipt = self.chain.participants(OPERATOR).suspend_organisation(from_hex32(target.org_id))
        self.indexer.sync(receipt.block_number)
        self.session.expire_all()
        return self.get(org)
