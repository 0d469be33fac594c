"""The supplier's invoice form: one row per purchase order line, prefilled with what is received and not
invoiced yet at the order's unit price, turned into the API's ``InvoiceIn`` when it is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Form
from pydantic import ValidationError
from sqlmodel import Session

from api.auth.service import Caller
from api.db import SessionDep
from api.orders.schemas import OrderOut
from api.orders.service import OrdersService
from api.receivables.schemas import InvoiceIn
from api.trade.money import from_minor
from api.web.evidence import contents, deliveries, per_line
from api.web.form_problems import invalid_document, line_field, quantity_text
from api.web.session import FormWriter
from chain.errors import InvalidInput, TradeLedgerError

PAYMENT_TERMS = timedelta(days=60)  # the due date the form suggests


@dataclass
class InvoiceRow:
    """One PO line in the form: what was ordered and received, and what is invoiced now."""

    line_no: int
    item: str
    description: str
    unit: str
    ordered: str
    received: str | None  # None: nothing delivered yet
    quantity: str
    unit_price: str  # major units
    tax: str


@dataclass
class InvoiceForm:
    order: OrderOut
    rows: list[InvoiceRow]
    invoice_number: str = ""
    issue_date: str = ""
    due_date: str = ""
    error: TradeLedgerError | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))

    def body(self) -> InvoiceIn:
        """The form as ``InvoiceIn``; rows left empty or at 0 are not invoiced."""
        rows = [r for r in self.rows if r.quantity.strip() not in ("", "0")]
        if not rows:
            raise InvalidInput("enter a quantity on at least one line to invoice", code="invoice_no_lines")
        data = {
            "order_id": self.order.id,
            "invoice_number": self.invoice_number.strip(),
            "currency": self.order.currency,
            "issue_date": self.issue_date,
            "due_date": self.due_date,
            "lines": [
                {
                    "po_line_no": r.line_no,
                    "item": r.item,
                    "quantity": r.quantity.strip(),
                    "unit": r.unit,
                    "unit_price": r.unit_price.strip(),
                    "tax": r.tax.strip() or "0",
                }
                for r in rows
            ],
        }
        try:
            return InvoiceIn.model_validate(data)
        except ValidationError as exc:
            raise invalid_document(exc, line_field([r.line_no for r in rows])) from None


def blank_invoice(session: Session, caller: Caller, order_id: str) -> InvoiceForm:
    """An invoice of ``order_id`` prefilled: per line, what is received and not invoiced yet (what is
    ordered and not invoiced, before any delivery), at the order's unit price."""
    if not order_id:
        raise InvalidInput("open the invoice form from the order you invoice", code="missing_order")
    svc = OrdersService(session)
    order = svc.out(svc.visible(caller, order_id), caller)
    po: dict[str, Any] = next(iter(contents(order.documents, "purchase_order")), {"lines": []})
    _, delivered = deliveries(order.documents)
    received = per_line(delivered) if delivered else None
    invoiced = per_line(contents(order.documents, "invoice"))
    rows = []
    for line in po["lines"]:
        n, ordered = line["line_no"], Decimal(line["quantity"])
        got = received.get(n, Decimal(0)) if received is not None else None
        open_ = max((got if got is not None else ordered) - invoiced.get(n, Decimal(0)), Decimal(0))
        rows.append(
            InvoiceRow(
                line_no=n,
                item=line["item"],
                description=line.get("description", ""),
                unit=line["unit"],
                ordered=line["quantity"],
                received=None if got is None else quantity_text(got),
                quantity=quantity_text(open_),
                unit_price=from_minor(line["unit_price"], order.currency),
                tax="0",
            )
        )
    today = datetime.now(UTC).date()
    return InvoiceForm(
        order, rows, issue_date=today.isoformat(), due_date=(today + PAYMENT_TERMS).isoformat()
    )


def _posted_invoice(
    session: SessionDep,
    viewer: FormWriter,
    order_id: Annotated[str, Form()] = "",
    invoice_number: Annotated[str, Form()] = "",
    issue_date: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    line_no: Annotated[list[int] | None, Form()] = None,
    quantity: Annotated[list[str] | None, Form()] = None,
    unit_price: Annotated[list[str] | None, Form()] = None,
    tax: Annotated[list[str] | None, Form()] = None,
) -> InvoiceForm:
    """The form as it was sent, over the order's rows (a row's item and unit are the order's)."""
    form = blank_invoice(session, viewer.caller, order_id)
    form.invoice_number, form.issue_date, form.due_date = invoice_number, issue_date, due_date
    sent = {
        n: (q, p, t)
        for n, q, p, t in zip(line_no or [], quantity or [], unit_price or [], tax or [], strict=False)
    }
    for row in form.rows:
        row.quantity, row.unit_price, row.tax = sent.get(row.line_no, ("", row.unit_price, "0"))
    return form


InvoiceFormDep = Annotated[InvoiceForm, Depends(_posted_invoice)]
