"""Builds ``receivables`` from Receivables events (including ERC-721 transfers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, SQLModel, select

from api.participants.models import OrganisationAccount
from api.projection_base import EventProjection
from api.receivables.models import ReceivableRow
from chain.currencies import currency_code
from chain.events import ChainEvent
from chain.trade_contracts import MatchStatus, ReceivableStatus

ZERO = "0x0000000000000000000000000000000000000000"


def receivable_hex(value: int | str) -> str:
    return f"0x{int(value):064x}" if isinstance(value, int) else value.lower()


class ReceivablesProjection(EventProjection):
    contract = "Receivables"
    tables: Sequence[type[SQLModel]] = (ReceivableRow,)

    def _row(self, session: Session, token: int) -> ReceivableRow | None:
        return session.get(ReceivableRow, receivable_hex(token))

    def _on_ReceivableIssued(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.add(
            ReceivableRow(
                receivable_id=receivable_hex(a["id"]),
                creditor=a["creditor"],
                debtor=a["debtor"],
                holder=a["creditor"],
                holder_account=ZERO,
                order_id=a["order"],
                invoice_doc=a["invoice"],
                currency=currency_code(bytes.fromhex(a["currency"][2:])),
                face_value=a["faceValue"],
                repaid=0,
                status="issued",
                match_status="pending",
                due_date=datetime.fromtimestamp(a["dueDate"], tz=UTC),
                issued_block=e.block_number,
                issued_tx=e.tx_hash,
            )
        )

    def _on_Transfer(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = self._row(session, e.args["tokenId"])
        if row is None or e.args["to"] == ZERO:
            return
        owner = session.exec(
            select(OrganisationAccount).where(OrganisationAccount.address == e.args["to"])
        ).first()
        row.holder_account = e.args["to"]
        row.holder = owner.org_id if owner is not None else row.holder
        session.add(row)

    def _on_MatchAttested(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = self._row(session, e.args["id"])
        if row is not None:
            row.match_status = MatchStatus(e.args["status"]).name.lower()
            row.match_result = e.args["matchResult"]
            session.add(row)

    def _on_ReceivableConfirmed(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = self._row(session, e.args["id"])
        if row is not None:
            row.status, row.waived = "confirmed", bool(e.args["waived"])
            session.add(row)

    def _on_ReceivableSplit(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        parent = self._row(session, e.args["id"])
        if parent is None:
            return
        parent.status = "split"
        session.add(parent)
        for child, amount in zip(e.args["children"], e.args["amounts"], strict=True):
            data = parent.model_dump(exclude={"receivable_id", "face_value", "repaid", "status", "parent"})
            session.add(
                ReceivableRow(
                    **{**data, "issued_block": e.block_number, "issued_tx": e.tx_hash},
                    receivable_id=receivable_hex(child),
                    face_value=amount,
                    repaid=0,
                    status="confirmed",
                    parent=parent.receivable_id,
                )
            )

    def _on_RepaymentRecorded(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = self._row(session, e.args["id"])
        if row is not None:
            row.repaid = int(e.args["repaid"])
            if row.repaid == row.face_value:
                row.status = ReceivableStatus.REPAID.name.lower()
            session.add(row)

    def _on_ReceivableOverdue(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        row = self._row(session, e.args["id"])
        if row is not None:
            row.status = "overdue"
            session.add(row)
