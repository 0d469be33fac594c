"""Builds the organisation tables from Participants events (the indexer calls it).

A pure function of the event sequence: re-indexing a wiped database gives the
same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, SQLModel, select

from api.participants.models import Organisation, OrganisationAccount
from api.projection_base import EventProjection
from chain.events import ChainEvent
from chain.policy import OrgRole


class ParticipantsProjection(EventProjection):
    contract = "Participants"
    tables: Sequence[type[SQLModel]] = (Organisation, OrganisationAccount)

    def _on_OrganisationRegistered(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        org_id = str(e.args["id"]).lower()
        session.add(
            Organisation(
                org_id=org_id,
                name=str(e.args["name"]),
                role=OrgRole(int(e.args["role"])).slug,
                status="active",
                legal_id_commitment=str(e.args["legalIdCommitment"]).lower(),
                registered_at=datetime.fromtimestamp(int(e.args["registeredAt"]), tz=UTC),
                registered_block=e.block_number,
                registered_tx=e.tx_hash,
            )
        )
        for account in e.args["accounts"]:
            session.add(OrganisationAccount(org_id=org_id, address=str(account), added_block=e.block_number))

    def _on_AccountAdded(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        session.add(
            OrganisationAccount(
                org_id=str(e.args["id"]).lower(), address=str(e.args["account"]), added_block=e.block_number
            )
        )

    def _on_AccountRemoved(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = session.exec(
            select(OrganisationAccount).where(OrganisationAccount.address == str(e.args["account"]))
        ).first()
        if row is not None:
            session.delete(row)

    def _on_LegalIdCommitmentUpdated(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(
            session,
            Organisation,
            str(e.args["id"]).lower(),
            legal_id_commitment=str(e.args["commitment"]).lower(),
        )

    def _on_OrganisationSuspended(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, Organisation, str(e.args["id"]).lower(), status="suspended")

    def _on_OrganisationReinstated(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, Organisation, str(e.args["id"]).lower(), status="active")
