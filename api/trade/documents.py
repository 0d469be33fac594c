"""Normalised trade documents, their parsers, canonical bytes and fingerprints (no I/O).

Inputs (JSON bodies, ERP CSV exports) give money in major units as strings
(``"12.50"``); the normalised models hold integer minor units plus the ISO 4217
code, quantities as decimals with a UN/ECE unit code, dates as ISO 8601 and
times as timezone-aware UTC. ``canonical_bytes`` is the same for the same
document whatever the input formatting; it is what gets committed on chain.

Fields added after documents were first committed (a model's ``CANONICAL_OPTIONAL``) are left
out of the canonical bytes while unset (``None`` or ``False``), so the documents committed
before they existed keep their bytes and commitments.

Documents: ``PurchaseOrder``, ``GoodsReceipt``, ``Shipment`` (bill of lading), ``Invoice``, and
for cross-border matching ``CustomsDeclaration`` (as the customs authority publishes it; its
status timeline is attested on chain, not held here) and ``PaymentAdvice`` (the buyer's payment).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin

import orjson
from eth_utils import keccak
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from api.trade.money import exponent, line_amount, parse_decimal, to_minor
from chain.errors import InvalidDocument

ORG_ID = r"^0x[0-9a-f]{64}$"
HS_CODE = r"^[0-9]{6,10}$"  # Harmonized System: 6 digits worldwide, up to 10 in national tariffs
UNITS = frozenset(
    {"EA", "PCE", "SET", "KGM", "TNE", "MTR", "MTK", "LTR", "MTQ", "CT", "PK", "BX", "PR", "HUR"}
)


def _quantity(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a timezone (e.g. 2026-05-01T08:00:00Z)")
    return value.astimezone(UTC)


def _unit(value: str) -> str:
    if value.upper() not in UNITS:
        raise ValueError(f"unknown unit {value!r}; use a UN/ECE code such as {', '.join(sorted(UNITS))}")
    return value.upper()


Quantity = Annotated[Decimal, AfterValidator(_quantity), PlainSerializer(_decimal_text, return_type=str)]
UtcTime = Annotated[datetime, AfterValidator(_utc)]
Unit = Annotated[str, AfterValidator(_unit)]
OrgId = Annotated[str, Field(pattern=ORG_ID)]
# Freight transport modes, as the factor set's freight_tkm:<mode> intensities name them.
TransportMode = Literal["road", "rail", "inland_waterway", "short_sea", "deep_sea_container", "air"]
TRANSPORT_MODES: tuple[str, ...] = get_args(TransportMode)
Minor = Annotated[int, Field(ge=0, strict=True)]
Number = Annotated[str, Field(min_length=1, max_length=64)]
HsCode = Annotated[str, Field(pattern=HS_CODE)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Port = Annotated[str, Field(min_length=2, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=256)]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Fields left out of the canonical bytes while None or False (see the module docstring).
    CANONICAL_OPTIONAL: ClassVar[tuple[str, ...]] = ()


class Line(_Doc):
    line_no: int = Field(ge=1)
    item: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=256)
    quantity: Quantity
    unit: Unit
    unit_price: Minor
    amount: Minor
    tax: Minor = 0
    hs_code: HsCode | None = None

    CANONICAL_OPTIONAL = ("hs_code",)


def _unique_lines(lines: list[Any], key: Callable[[Any], int]) -> list[Any]:
    numbers = [key(line) for line in lines]
    if len(numbers) != len(set(numbers)):
        raise ValueError("line numbers must be unique")
    return lines


def _iso4217(value: str) -> str:
    exponent(value)  # raises InvalidDocument(unknown_currency)
    return value


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_iso4217)]


class PurchaseOrder(_Doc):
    po_number: Number
    buyer: OrgId
    supplier: OrgId
    currency: Currency
    issue_date: date
    delivery_date: date | None = None
    lines: list[Line] = Field(min_length=1, max_length=1000)
    total: Minor
    # Matched in cross-border mode too (order, payment, waybill against the customs declaration).
    cross_border: bool = False

    CANONICAL_OPTIONAL = ("cross_border",)

    @field_validator("lines")
    @classmethod
    def _lines(cls, lines: list[Line]) -> list[Line]:
        return _unique_lines(lines, lambda line: line.line_no)


class ReceiptLine(_Doc):
    po_line_no: int = Field(ge=1)
    item: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    unit: Unit
    hs_code: HsCode | None = None

    CANONICAL_OPTIONAL = ("hs_code",)


class GoodsReceipt(_Doc):
    receipt_number: Number
    po_number: Number
    buyer: OrgId
    supplier: OrgId
    received_at: UtcTime
    lines: list[ReceiptLine] = Field(min_length=1, max_length=1000)


class Shipment(_Doc):
    """A bill of lading / shipment notice issued by the carrier."""

    bl_number: Number
    po_number: Number
    carrier: OrgId
    shipper: OrgId
    consignee: OrgId
    port_of_loading: Port
    port_of_discharge: Port
    shipped_on_board_at: UtcTime
    lines: list[ReceiptLine] = Field(min_length=1, max_length=1000)
    # Freight data for scope 3 statements; left out of the canonical bytes when absent, so
    # shipments without them keep the bytes (and commitments) they had before these fields existed.
    transport_mode: TransportMode | None = None
    gross_weight_kg: Quantity | None = None

    CANONICAL_OPTIONAL = ("transport_mode", "gross_weight_kg")


SHIPMENT_OPTIONAL = Shipment.CANONICAL_OPTIONAL


class InvoiceLine(_Doc):
    po_line_no: int = Field(ge=1)
    item: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    unit: Unit
    unit_price: Minor
    amount: Minor
    tax: Minor = 0


class Invoice(_Doc):
    invoice_number: Number
    po_number: Number
    supplier: OrgId
    buyer: OrgId
    currency: Currency
    issue_date: date
    due_date: date
    lines: list[InvoiceLine] = Field(min_length=1, max_length=1000)
    subtotal: Minor
    tax_total: Minor
    total: Minor

    @field_validator("lines")
    @classmethod
    def _lines(cls, lines: list[InvoiceLine]) -> list[InvoiceLine]:
        return _unique_lines(lines, lambda line: line.po_line_no)


class DeclarationLine(_Doc):
    line_no: int = Field(ge=1)
    item: str = Field(min_length=1, max_length=64)
    hs_code: HsCode
    description: str = Field(default="", max_length=256)
    quantity: Quantity
    unit: Unit
    value: Minor
    origin_country: Country


class CustomsDeclaration(_Doc):
    """A customs declaration's content as the customs authority publishes it.

    Its status (declared, inspected, released, cleared) is not part of it: the customs oracles
    attest that on chain, per declaration, and cross-border matching takes it as an input."""

    declaration_number: Number
    customs_office: str = Field(min_length=2, max_length=16)
    direction: Literal["export", "import"]
    exporter: OrgId
    importer: OrgId
    exporter_name: Name
    importer_name: Name
    po_number: Number  # the order / contract number the declaration cites
    transport_document: Number  # the bill of lading / waybill number
    port_of_loading: Port
    port_of_discharge: Port
    currency: Currency
    declared_value: Minor
    declared_at: UtcTime
    lines: list[DeclarationLine] = Field(min_length=1, max_length=1000)

    @field_validator("lines")
    @classmethod
    def _lines(cls, lines: list[DeclarationLine]) -> list[DeclarationLine]:
        return _unique_lines(lines, lambda line: line.line_no)


class PaymentAdvice(_Doc):
    """The payment of an order, as the buyer or its bank reports it (a remittance advice)."""

    payment_ref: Number
    po_number: Number
    payer: OrgId
    payee: OrgId
    currency: Currency
    amount: int = Field(gt=0, strict=True)
    paid_at: UtcTime


Document = PurchaseOrder | GoodsReceipt | Shipment | Invoice | CustomsDeclaration | PaymentAdvice
D = TypeVar("D", bound=_Doc)


# --- parsing ------------------------------------------------------------------------------------


def _build(model: type[D], data: Mapping[str, Any]) -> D:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        if any("timezone" in e["msg"] for e in exc.errors()):
            naive = next(e for e in exc.errors() if "timezone" in e["msg"])
            where = ".".join(str(p) for p in naive["loc"])
            raise InvalidDocument(
                f"{model.__name__}: {where}: {naive['msg']}", code="naive_datetime"
            ) from None
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidDocument(
            f"{model.__name__}: {where}: {first['msg']} ({len(exc.errors())} problem(s) in all)",
            code="invalid_document",
            errors=[{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()],
        ) from None


def _require(data: Mapping[str, Any], *fields: str, what: str) -> None:
    missing = [f for f in fields if data.get(f) in (None, "", [])]
    if missing:
        raise InvalidDocument(f"{what}: missing {', '.join(missing)}", code="missing_field")


def _currency(data: Mapping[str, Any]) -> str:
    currency = str(data.get("currency", "")).strip().upper()
    exponent(currency)
    return currency


def _priced_lines(raw_lines: list[Mapping[str, Any]], currency: str, number_key: str) -> list[dict[str, Any]]:
    lines = []
    for raw in raw_lines:
        where = f"line {raw.get(number_key, '?')}"
        _require(raw, number_key, "item", "quantity", "unit", "unit_price", what=where)
        quantity = parse_decimal(raw["quantity"], f"{where} quantity")
        unit_price = to_minor(raw["unit_price"], currency, f"{where} unit_price")
        line = {k: v for k, v in raw.items() if k not in ("quantity", "unit_price", "amount", "tax")}
        line.update(_hs_code(raw))
        line.update(
            quantity=quantity,
            unit_price=unit_price,
            amount=to_minor(raw["amount"], currency, f"{where} amount")
            if raw.get("amount") not in (None, "")
            else line_amount(quantity, unit_price),
            tax=to_minor(raw.get("tax") or "0", currency, f"{where} tax"),
        )
        lines.append(line)
    return lines


def parse_purchase_order(data: Mapping[str, Any]) -> PurchaseOrder:
    """A PO from JSON: money in major units as strings; line amounts and the total are computed."""
    _require(data, "po_number", "buyer", "supplier", "currency", "issue_date", "lines", what="purchase order")
    currency = _currency(data)
    lines = _priced_lines(list(data["lines"]), currency, "line_no")
    for line in lines:
        if line["amount"] != line_amount(line["quantity"], line["unit_price"]):
            raise InvalidDocument(
                f"line {line.get('line_no')}: amount is not quantity × unit price", code="amount_mismatch"
            )
    body = {k: v for k, v in data.items() if k not in ("lines", "total", "currency")}
    total = sum(line["amount"] + line["tax"] for line in lines)
    return _build(PurchaseOrder, {**body, "currency": currency, "lines": lines, "total": total})


CSV_COLUMNS = (
    "po_number",
    "currency",
    "issue_date",
    "delivery_date",
    "line_no",
    "item",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "tax",
    "hs_code",
)
CSV_OPTIONAL = ("delivery_date", "description", "tax", "hs_code")
CSV_HEADER_FIELDS = ("po_number", "currency", "issue_date", "delivery_date")


def parse_purchase_order_csv(
    text: str, *, buyer: str, supplier: str, cross_border: bool = False
) -> PurchaseOrder:
    """A PO from an ERP CSV export: one row per line, header fields repeated on every row.

    Columns (any order, case-insensitive): ``po_number, currency, issue_date,
    delivery_date, line_no, item, description, quantity, unit, unit_price[, tax][, hs_code]``;
    ``,`` or ``;`` delimited, optional BOM, amounts in major units (``"1,234.50"``).
    """
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise InvalidDocument("the CSV is empty; export the PO with a header row", code="empty_csv")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header and c not in CSV_OPTIONAL]
    if missing:
        raise InvalidDocument(f"the CSV lacks columns {', '.join(missing)}", code="csv_columns")
    rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise InvalidDocument("the CSV has a header but no lines", code="empty_csv")
    first = rows[0]
    lines = [_csv_line(row) for row in rows]
    problems = _csv_row_problems(rows, lines)
    if problems:
        more = f" ({len(problems)} problems in all)" if len(problems) > 1 else ""
        raise InvalidDocument(problems[0]["msg"] + more, code=problems[0]["code"], errors=problems)
    header_fields = {f: first.get(f) or None for f in CSV_HEADER_FIELDS}
    body = {
        **header_fields,
        "buyer": buyer,
        "supplier": supplier,
        "lines": lines,
        "cross_border": cross_border,
    }
    return parse_purchase_order(body)


def _csv_line(row: Mapping[str, str]) -> dict[str, str]:
    line_fields = ("line_no", "item", "description", "quantity", "unit", "unit_price", "tax")
    return {
        **{k: row.get(k, "") for k in line_fields},
        **({"hs_code": row["hs_code"]} if row.get("hs_code") else {}),
    }


def _csv_row_problems(rows: list[dict[str, str]], lines: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every row's problems, not just the first: ``{"row", "line_no", "code", "msg"}`` each, rows numbered
    as a spreadsheet shows them (the header is row 1). Problems of the PO itself (its currency, dates)
    are left to ``parse_purchase_order``."""
    first = rows[0]
    try:
        currency: str | None = _currency(first)
    except InvalidDocument:
        currency = None  # reported once for the whole PO, not on every line
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, (row, line) in enumerate(zip(rows, lines, strict=True), start=2):
        line_no = line["line_no"]

        def problem(code: str, msg: str, number: int = number, line_no: str = line_no) -> None:
            problems.append({"row": number, "line_no": line_no, "code": code, "msg": f"row {number}: {msg}"})

        for field in CSV_HEADER_FIELDS:
            if row.get(field, "") != first.get(field, ""):
                problem("csv_inconsistent", f"{field} differs from the first row; one PO per file")
        if line_no in seen:
            problem("duplicate_line", f"line {line_no} is on row {seen[line_no]} already")
        seen.setdefault(line_no, number)
        if currency is None:
            continue
        try:
            Line.model_validate(_priced_lines([line], currency, "line_no")[0])
        except InvalidDocument as exc:
            problem(exc.code, exc.detail)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"])
                problem(
                    "invalid_document",
                    f"line {line_no} {where}: {error['msg'].removeprefix('Value error, ')}",
                )
    return problems


def parse_invoice(data: Mapping[str, Any]) -> Invoice:
    """An invoice from JSON: money in major units; missing line amounts and totals are computed."""
    _require(
        data,
        "invoice_number",
        "po_number",
        "supplier",
        "buyer",
        "currency",
        "issue_date",
        "due_date",
        "lines",
        what="invoice",
    )
    currency = _currency(data)
    lines = _priced_lines(list(data["lines"]), currency, "po_line_no")
    subtotal = sum(line["amount"] for line in lines)
    tax_total = sum(line["tax"] for line in lines)

    def money(field: str, default: int) -> int:
        return to_minor(data[field], currency, field) if data.get(field) not in (None, "") else default

    body = {k: v for k, v in data.items() if k not in ("lines", "currency", "subtotal", "tax_total", "total")}
    invoice = _build(
        Invoice,
        {
            **body,
            "currency": currency,
            "lines": lines,
            "subtotal": money("subtotal", subtotal),
            "tax_total": money("tax_total", tax_total),
            "total": money("total", subtotal + tax_total),
        },
    )
    if invoice.due_date < invoice.issue_date:
        raise InvalidDocument("due_date is before issue_date", code="invalid_dates")
    return invoice


def parse_goods_receipt(data: Mapping[str, Any]) -> GoodsReceipt:
    return _build(GoodsReceipt, {**data, "lines": [_quantified(line) for line in data.get("lines") or []]})


def parse_shipment(data: Mapping[str, Any]) -> Shipment:
    return _build(Shipment, {**data, "lines": [_quantified(line) for line in data.get("lines") or []]})


def _quantified(line: Mapping[str, Any]) -> dict[str, Any]:
    where = f"line {line.get('po_line_no', '?')} quantity"
    return {**line, **_hs_code(line), "quantity": parse_decimal(line.get("quantity", ""), where)}


def _hs_code(line: Mapping[str, Any]) -> dict[str, Any]:
    """``hs_code`` as digits only: ``"8708.30"`` and ``"8708 30"`` are ``"870830"``; absent stays absent."""
    code = line.get("hs_code")
    if code in (None, ""):
        return {"hs_code": None} if "hs_code" in line else {}
    return {"hs_code": str(code).replace(".", "").replace(" ", "")}


def _mappings(data: Mapping[str, Any], field: str, what: str) -> list[Mapping[str, Any]]:
    items = data[field]
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise InvalidDocument(f"{what}: {field} must be a list of objects", code="invalid_document")
    return items


def parse_declaration(data: Mapping[str, Any]) -> CustomsDeclaration:
    """A customs declaration as the authority publishes it: values in major units, times with a zone.

    The header ``declared_value`` is kept as published, even when it is not the sum of the lines
    (cross-border matching reports that); HS codes may be dotted (``"8708.30"``)."""
    what = "customs declaration"
    _require(
        data,
        "declaration_number",
        "customs_office",
        "direction",
        "exporter",
        "importer",
        "exporter_name",
        "importer_name",
        "po_number",
        "transport_document",
        "port_of_loading",
        "port_of_discharge",
        "currency",
        "declared_value",
        "declared_at",
        "lines",
        what=what,
    )
    currency = _currency(data)
    lines = []
    for raw in _mappings(data, "lines", what):
        where = f"line {raw.get('line_no', '?')}"
        _require(raw, "line_no", "item", "hs_code", "quantity", "unit", "value", "origin_country", what=where)
        lines.append(
            {
                **raw,
                **_hs_code(raw),
                "quantity": parse_decimal(raw["quantity"], f"{where} quantity"),
                "value": to_minor(raw["value"], currency, f"{where} value"),
                "origin_country": str(raw["origin_country"]).strip().upper(),
            }
        )
    body = {
        **data,
        "currency": currency,
        "declared_value": to_minor(data["declared_value"], currency, "declared_value"),
        "lines": lines,
    }
    return _build(CustomsDeclaration, body)


def parse_payment(data: Mapping[str, Any]) -> PaymentAdvice:
    """A payment advice from JSON: the amount in major units as a string, the time with a zone."""
    fields = ("payment_ref", "po_number", "payer", "payee", "currency", "amount", "paid_at")
    _require(data, *fields, what="payment")
    currency = _currency(data)
    amount = to_minor(data["amount"], currency, "amount")
    if amount == 0:
        raise InvalidDocument("payment: amount is zero; record payments that moved money", code="zero_amount")
    return _build(PaymentAdvice, {**data, "currency": currency, "amount": amount})


# --- canonical form -----------------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_bytes(doc: BaseModel) -> bytes:
    """The document's canonical JSON: the bytes whose salted commitment goes on chain."""
    data = doc.model_dump(mode="json")
    _drop_unset(doc, data)
    data["type"] = type(doc).__name__
    if "lines" in data:  # the order of lines carries no meaning
        data["lines"] = sorted(data["lines"], key=lambda line: line.get("line_no", line.get("po_line_no", 0)))
    return _document_json(data)


def _document_json(data: dict[str, Any]) -> bytes:
    """``canonical_json(data)`` for a document's JSON dump, written by orjson, five times faster.

    Both write sorted keys, no spaces, UTF-8 unescaped but for control characters, and so the same
    bytes for strings, integers, booleans, None, lists and dicts: all a document's dump holds (amounts
    are integers, quantities and prices decimals written as strings, dates ISO strings; no field of a
    document may hold a float, whose exponent the two write differently — ``tests/trade/
    test_document_json.py`` checks both). Integers beyond 64 bits, which orjson refuses, go through json."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return canonical_json(data)


_LONG_NUMBER = re.compile(r"\d{19}")


def read_json(text: str) -> Any:
    """``json.loads(text)``, by orjson (three times faster) when that gives the same: orjson reads an
    integer beyond 64 bits as a float, so a text with a run of 19 digits or more goes through json, as
    does one orjson refuses (json is the more lenient, e.g. with lone surrogates)."""
    if not _LONG_NUMBER.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _drop_unset(model: BaseModel, data: dict[str, Any]) -> None:
    """Remove the model's unset ``CANONICAL_OPTIONAL`` fields from its dump, nested models too."""
    optional, nested = _canonical_plan(type(model))
    for key in optional:
        value = getattr(model, key)
        if value is None or value is False:
            del data[key]
    for name in nested:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            _drop_unset(value, data[name])
        elif isinstance(value, list):
            for item, dumped in zip(value, data[name], strict=True):
                if isinstance(item, BaseModel):
                    _drop_unset(item, dumped)


_PLANS: dict[type[BaseModel], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _canonical_plan(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A model's ``CANONICAL_OPTIONAL`` and the fields that may hold models (the others, typed as
    plain values, never do: validation guarantees it), so ``_drop_unset`` visits only those."""
    plan = _PLANS.get(model)
    if plan is None:
        nested = tuple(
            name for name, field in model.model_fields.items() if _may_hold_model(field.annotation)
        )
        plan = _PLANS[model] = (tuple(getattr(model, "CANONICAL_OPTIONAL", ())), nested)
    return plan


def _may_hold_model(annotation: Any) -> bool:
    """False only for annotations made of plain types (str, int, Decimal, date, Literal, ...)."""
    if annotation is Any or annotation is object:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return False
    if get_origin(annotation) is Annotated:
        args = args[:1]
    return not args or any(_may_hold_model(a) for a in args if a is not type(None))


def invoice_fingerprint(invoice: Invoice) -> bytes:
    """Identifies an invoice by content, whatever its number or formatting (double-financing check)."""
    return keccak(
        canonical_json(
            {
                "buyer": invoice.buyer,
                "supplier": invoice.supplier,
                "po_number": invoice.po_number.strip().upper(),
                "currency": invoice.currency,
                "total": invoice.total,
                "issue_date": invoice.issue_date.isoformat(),
                "line_totals": sorted(line.amount + line.tax for line in invoice.lines),
            }
        )
    )


def from_canonical(model: type[D], canonical: str | bytes) -> D:
    """A document back from its canonical bytes (as stored off chain)."""
    data = json.loads(canonical)
    data.pop("type", None)
    return model.model_validate(data)
