"""Consortium administration: registering and suspending organisations on chain.

Writes go to the chain (signed by the consortium operator's key); the rows the
API reads come back through the indexer, which this service runs up to the
transaction's block before answering, so the response reflects the chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, select

from api.auth.service import create_api_key
from api.participants.models import Organisation, OrganisationAccount, OrganisationLegalId
from api.service_base import ChainService
from chain.client import OPERATOR, org_key_name
from chain.errors import Conflict, InvalidInput, NotFound
from chain.ids import commitment, from_hex32, new_salt, org_id, to_hex32
from chain.node import fund_if_embedded
from chain.policy import OrgRole
from chain.sender import Receipt

REGISTRABLE_ROLES = sorted(r.slug for r in OrgRole if r not in (OrgRole.NONE, OrgRole.OPERATOR))
ORG_ID_PATTERN = re.compile(r"^0x[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class TxRef:
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, receipt: Receipt) -> TxRef:
        return cls(receipt.tx_hash, receipt.block_number)


def normalise_org_id(value: str) -> str:
    if not ORG_ID_PATTERN.match(value):
        raise InvalidInput(
            f"{value!r} is not an organisation id (0x and 64 hex digits)", code="invalid_org_id"
        )
    return value.lower()


class ParticipantsService(ChainService):
    # --- reads -----------------------------------------------------------------------------

    def get(self, org: str) -> Organisation:
        found = self.session.get(Organisation, normalise_org_id(org))
        if found is None:
            raise NotFound(
                f"no organisation {org}; list them with GET /api/v1/organisations",
                code="organisation_not_found",
            )
        return found

    def directory(self) -> list[Organisation]:
        return list(
            self.session.exec(select(Organisation).order_by(col(Organisation.registered_block))).all()
        )

    def accounts(self, org: str) -> list[str]:
        rows = self.session.exec(
            select(OrganisationAccount)
            .where(OrganisationAccount.org_id == org)
            .order_by(col(OrganisationAccount.id))
        )
        return [row.address for row in rows]

    def primary_account(self, org: str) -> str:
        """The organisation's first account: where tokens and receivables sent to the organisation go."""
        accounts = self.accounts(org)
        if not accounts:
            raise NotFound(
                f"no organisation {org} with an account; list them with GET /api/v1/organisations",
                code="organisation_not_found",
            )
        return accounts[0]

    def legal_id(self, org: str) -> OrganisationLegalId | None:
        return self.session.get(OrganisationLegalId, org)

    # --- writes ----------------------------------------------------------------------------

    def register(
        self, *, handle: str, name: str, role: str, legal_id: str
    ) -> tuple[Organisation, str, TxRef]:
        """Register an organisation on chain with a new signing key.

        Returns the organisation, its first API key (plaintext, once) and the transaction."""
        chain, indexer = self._wired()
        if role not in REGISTRABLE_ROLES:
            raise InvalidInput(
                f"role {role!r} cannot be registered here; use one of {', '.join(REGISTRABLE_ROLES)}",
                code="invalid_role",
            )
        oid = org_id(handle)
        if self.session.get(Organisation, to_hex32(oid)) is not None:
            raise Conflict(
                f"an organisation with handle {handle!r} is already registered", code="organisation_exists"
            )
        account = chain.keystore.get_or_create(org_key_name(oid))
        fund_if_embedded(chain.w3.provider.endpoint_uri, account.address)  # type: ignore[attr-defined]
        salt = new_salt()
        receipt = chain.participants(OPERATOR).register_organisation(
            oid, name, OrgRole.from_slug(role), commitment(legal_id.encode(), salt), [account.address]
        )
        indexer.sync(receipt.block_number)
        self.session.merge(OrganisationLegalId(org_id=to_hex32(oid), legal_id=legal_id, salt=to_hex32(salt)))
        self.session.commit()
        _, api_key = create_api_key(self.session, to_hex32(oid), "first key", ["read", "write", "admin"])
        return self.get(to_hex32(oid)), api_key, TxRef.of(receipt)

    def suspend(self, org: str) -> tuple[Organisation, TxRef]:
        """Suspend an organisation (circuit breaker); reinstating needs dual control."""
        chain, _ = self._wired()
        target = self.get(org)
        receipt = chain.participants(OPERATOR).suspend_organisation(from_hex32(target.org_id))
        self.settle(receipt)
        return self.get(org), TxRef.of(receipt)
