"""Builds ``devices`` from DeviceRegistry events and ``carbon_statements`` from CarbonLedger events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.carbon.models import DeviceRow, StatementRow
from api.projection_base import EventProjection
from chain.carbon_contracts import DeviceKind
from chain.events import ChainEvent


class DevicesProjection(EventProjection):
    contract = "DeviceRegistry"
    tables: Sequence[type[SQLModel]] = (DeviceRow,)

    def _on_DeviceRegistered(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.add(
            DeviceRow(
                device_id=a["id"],
                owner=a["owner"],
                kind=DeviceKind(a["kind"]).name.lower(),
                status="active",
                signer=a["signer"],
                generation=0,
                binding=a["binding"],
                registered_block=e.block_number,
            )
        )

    def _on_DeviceKeyRotated(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(
            session, DeviceRow, e.args["id"], signer=e.args["signer"], generation=int(e.args["generation"])
        )

    def _on_DeviceRebound(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, DeviceRow, e.args["id"], binding=e.args["binding"])

    def _on_DeviceRevoked(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, DeviceRow, e.args["id"], status="revoked")


class StatementsProjection(EventProjection):
    contract = "CarbonLedger"
    tables: Sequence[type[SQLModel]] = (StatementRow,)

    def _on_StatementSubmitted(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.add(
            StatementRow(
                statement_id=a["id"],
                org=a["org"],
                scope=int(a["scope"]),
                grams=int(a["gramsCO2e"]),
                factor_set=a["factorSet"],
                batches=json.dumps(a["batches"]),
                status="submitted",
                submitted_block=e.block_number,
            )
        )

    def _on_StatementVerified(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, StatementRow, e.args["id"], status="verified", verifier=e.args["verifier"])
