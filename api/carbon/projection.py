"""Builds ``devices`` from DeviceRegistry events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.carbon.models import DeviceRow
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
