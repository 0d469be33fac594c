"""The letters-of-credit forms: what was typed, read into the API's bodies (``CreditIn``,
``AmendmentIn``, ``PresentationIn``), with every problem named by its form field.

Amounts are typed in major units of the credit's currency (``"100,000.00"``) and converted with
``api.trade.money.to_minor``; every other rule is the body's own (pydantic) or the service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.credit.examination import DocumentType
from api.credit.schemas import AmendmentIn, CreditIn, CreditOut, PresentationIn
from api.trade.money import from_minor, to_minor
from chain.currencies import EXPONENTS
from chain.errors import InvalidInput, TradeLedgerError

M = TypeVar("M", bound=BaseModel)
Problem = dict[str, Any]


@dataclass
class FormState:
    """A form's fields as typed (or their defaults), shown again beside its errors."""

    values: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, list[str]] = field(default_factory=dict)  # checkbox groups
    error: TradeLedgerError | None = None
    problems: list[Problem] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return bool(self.values.get(name))

    def has(self, name: str, option: str) -> bool:
        return option in self.chosen.get(name, [])

    def field_error(self, name: str) -> str | None:
        return next((str(p["msg"]) for p in self.problems if p.get("field") == name), None)

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))


async def submitted(request: Request) -> FormState:
    """The posted form (a dependency: the route itself stays synchronous)."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return FormState(values, {k: [str(v) for v in form.getlist(k)] for k in form})


def _message(error: Mapping[str, Any]) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def validated(model: type[M], body: dict[str, Any], problems: list[Problem], renamed: Mapping[str, str]) -> M:
    """``body`` as ``model``; with ``problems`` (from reading the form) or the model's own, 422
    ``invalid_form`` listing each by form field (``renamed``: body path -> form field)."""
    parsed: M | None = None
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        named = {p["field"] for p in problems}
        for e in exc.errors():
            path = ".".join(map(str, e["loc"]))
            where = renamed.get(path, path) or "form"
            if where not in named:  # an amount that could not be read is not also "missing"
                problems.append({"field": where, "code": e["type"], "msg": _message(e)})
    if problems or parsed is None:
        first = problems[0]
        raise InvalidInput(
            f"{first['field']}: {first['msg']} ({len(problems)} problem(s) in all)",
            code="invalid_form",
            errors=problems,
        )
    return parsed


def _put(
    form: FormState, body: dict[str, Any], name: str, key: str | None = None, *, none: bool = False
) -> None:
    """``body[key]`` = the field's text when typed; blank: left out (the body's default) or None."""
    text = form.value(name).strip()
    if text or none:
        body[key or name.rsplit(".", 1)[-1]] = text or None


def _minor(
    form: FormState, body: dict[str, Any], name: str, key: str, currency: str, problems: list[Problem]
) -> None:
    """A major-unit amount field into minor units under ``key``; blank: left out."""
    text = form.value(name).strip()
    if not text:
        return
    try:
        body[key] = to_minor(text, currency if currency in EXPONENTS else "USD", what=name)
    except TradeLedgerError as error:
        problems.append({"field": name, "code": error.code, "msg": error.detail})


# --- application -------------------------------------------------------------------------------

CREDIT_TEXTS = (
    "number",
    "issuing_bank",
    "advising_bank",
    "beneficiary",
    "payment",
    "deferred_days",
    "currency",
    "amount_tolerance_pct",
    "goods_description",
    "quantity",
    "quantity_unit",
    "expiry_date",
    "expiry_place",
    "latest_shipment_date",
    "presentation_period_days",
    "port_of_loading",
    "port_of_discharge",
    "incoterm",
)
CREDIT_FLAGS = (
    "about_amount",
    "about_quantity",
    "about_unit_price",
    "partial_shipments_allowed",
    "transshipment_allowed",
)


def application_defaults(today: date, number: str, bank: str) -> FormState:
    """A new application: the bank as issuing and advising bank, sight payment in USD, expiring in 90
    days with shipment by 60, partial shipments and transshipment allowed, invoice and bill of lading."""
    values = {
        "number": number,
        "issuing_bank": bank,
        "advising_bank": bank,
        "payment": "sight",
        "currency": "USD",
        "expiry_date": (today + timedelta(days=90)).isoformat(),
        "latest_shipment_date": (today + timedelta(days=60)).isoformat(),
        "presentation_period_days": "21",
        "partial_shipments_allowed": "true",
        "transshipment_allowed": "true",
    }
    documents = [DocumentType.COMMERCIAL_INVOICE.value, DocumentType.BILL_OF_LADING.value]
    return FormState(values, {"required_documents": documents})


def credit_in(form: FormState) -> CreditIn:
    body: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in CREDIT_TEXTS:
        _put(form, body, name)
    for name in CREDIT_FLAGS:
        body[name] = form.checked(name)
    currency = form.value("currency").strip()
    for name in ("amount", "unit_price"):
        _minor(form, body, name, name, currency, problems)
    body["required_documents"] = form.chosen.get("required_documents", [])
    return validated(CreditIn, body, problems, {})


# --- amendment ---------------------------------------------------------------------------------


def amendment_in(form: FormState, currency: str) -> AmendmentIn:
    body: dict[str, Any] = {}
    problems: list[Problem] = []
    _minor(form, body, "amend.amount", "amount", currency, problems)
    for name in ("amend.amount_tolerance_pct", "amend.expiry_date", "amend.latest_shipment_date"):
        _put(form, body, name)
    renamed = {key: f"amend.{key}" for key in AmendmentIn.model_fields}
    return validated(AmendmentIn, body, problems, renamed)


# --- presentation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFields:
    """One presented document's form fields: ``<prefix>.<field>``, included when ``include.<kind>``."""

    kind: DocumentType
    prefix: str
    texts: tuple[str, ...]
    amounts: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    nullable: tuple[str, ...] = ()  # a blank field is sent as null (the body has no default for it)


BILL_OF_LADING = "bills_of_lading.0"
DOCUMENTS = (
    DocumentFields(
        DocumentType.COMMERCIAL_INVOICE,
        "invoice",
        (
            "issuer",
            "addressed_to",
            "currency",
            "goods_description",
            "quantity",
            "quantity_unit",
            "issue_date",
        ),
        amounts=("amount", "unit_price"),
    ),
    DocumentFields(
        DocumentType.BILL_OF_LADING,
        BILL_OF_LADING,
        ("shipper", "port_of_loading", "port_of_discharge", "issue_date", "goods_description", "quantity"),
        flags=("transshipment", "containerised"),
        nullable=("shipped_on_board_date",),
    ),
    DocumentFields(
        DocumentType.INSURANCE,
        "insurance",
        ("currency", "issue_date", "effective_date"),
        amounts=("insured_amount",),
    ),
    DocumentFields(DocumentType.PACKING_LIST, "packing_list", ("quantity", "issue_date")),
    DocumentFields(
        DocumentType.CERTIFICATE_OF_ORIGIN, "certificate_of_origin", ("goods_description", "issue_date")
    ),
)


def _document(
    form: FormState, spec: DocumentFields, currency: str, problems: list[Problem]
) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in spec.texts:
        _put(form, doc, f"{spec.prefix}.{name}")
    for name in spec.nullable:
        _put(form, doc, f"{spec.prefix}.{name}", none=True)
    for name in spec.flags:
        doc[name] = form.checked(f"{spec.prefix}.{name}")
    own = form.value(f"{spec.prefix}.currency").strip() or currency
    for name in spec.amounts:
        _minor(form, doc, f"{spec.prefix}.{name}", name, own, problems)
    return doc


def presentation_in(form: FormState, currency: str) -> PresentationIn:
    body: dict[str, Any] = {}
    problems: list[Problem] = []
    _minor(form, body, "amount", "amount_minor", currency, problems)
    for spec in DOCUMENTS:
        if not form.checked(f"include.{spec.kind.value}"):
            continue
        doc = _document(form, spec, currency, problems)
        if spec.prefix == BILL_OF_LADING:
            body["bills_of_lading"] = [doc]
        else:
            body[spec.prefix] = doc
    return validated(PresentationIn, body, problems, {"amount_minor": "amount"})


def presentation_defaults(credit: CreditOut, today: date) -> FormState:
    """Documents that comply with the credit as it stands: the beneficiary's invoice to the applicant for
    what is available, shipped on board today between the credit's ports; insurance at 110 %."""
    terms = credit.terms["credit_terms"]
    currency = credit.currency
    day = today.isoformat()
    quantity = str(terms.get("quantity") or "")
    values = {
        "amount": from_minor(credit.available_minor, currency),
        "invoice.issuer": terms["beneficiary"],
        "invoice.addressed_to": terms["applicant"],
        "invoice.currency": currency,
        "invoice.amount": from_minor(credit.available_minor, currency),
        "invoice.goods_description": terms["goods_description"],
        "invoice.quantity": quantity,
        "invoice.quantity_unit": terms.get("quantity_unit") or "",
        "invoice.unit_price": from_minor(terms["unit_price"], currency) if terms.get("unit_price") else "",
        "invoice.issue_date": day,
        f"{BILL_OF_LADING}.shipper": terms["beneficiary"],
        f"{BILL_OF_LADING}.port_of_loading": terms.get("port_of_loading") or "",
        f"{BILL_OF_LADING}.port_of_discharge": terms.get("port_of_discharge") or "",
        f"{BILL_OF_LADING}.shipped_on_board_date": day,
        f"{BILL_OF_LADING}.issue_date": day,
        f"{BILL_OF_LADING}.quantity": quantity,
        "insurance.currency": currency,
        "insurance.insured_amount": from_minor(-(-credit.available_minor * 11 // 10), currency),
        "insurance.issue_date": day,
        "packing_list.quantity": quantity,
        "packing_list.issue_date": day,
        "certificate_of_origin.issue_date": day,
    }
    for kind in terms.get("required_documents", []):
        values[f"include.{kind}"] = "true"
    return FormState(values)
