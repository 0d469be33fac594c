"""Builds ``devices`` from DeviceRegistry events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.carbon.models import DeviceRow, StatementRow
from chain.carbon_contracts import DeviceKind
from chain.events import ChainEvent


class DevicesProjection:
    tables: Sequence[type[SQLModel]] = (DeviceRow,)

    def apply(self, session: Session, event: ChainEvent) -> None:
        if event.contract != "DeviceRegistry":
            return
        a = event.args
        if event.name == "DeviceRegistered":
            session.add(
                DeviceRow(
                    device_id=a["id"],
                    owner=a["owner"],
                    kind=DeviceKind(a["kind"]).name.lower(),
                    status="active",
                    signer=a["signer"],
                    generation=0,
                    binding=a["binding"],
                    registered_block=event.block_number,
                )
            )
        elif (row := session.get(DeviceRow, a.get("id", ""))) is not None:
            if event.name == "DeviceKeyRotated":
                row.signer, row.generation = a["signer"], int(a["generation"])
            elif event.name == "DeviceRebound":
                row.binding = a["binding"]
            elif event.name == "DeviceRevoked":
                row.status = "revoked"
            session.add(row)
        session.flush()


class StatementsProjection:
    tables: Sequence[type[SQLModel]] = (StatementRow,)

    def apply(self, session: Session, event: ChainEvent) -> None:
        if event.contract != "CarbonLedger":
            return
        a = event.args
        if event.name == "StatementSubmitted":
            session.add(
                StatementRow(
                    statement_id=a["id"],
                    org=a["org"],
                    scope=int(a["scope"]),
                    grams=int(a["gramsCO2e"]),
                    factor_set=a["factorSet"],
                    batches=json.dumps(a["batches"]),
                    status="submitted",
                    submitted_block=event.block_number,
                )
            )
        elif event.name == "StatementVerified" and (row := session.get(StatementRow, a["id"])) is not None:
            row.status, row.verifier = "verified", a["verifier"]
            session.add(row)
        session.flush()
