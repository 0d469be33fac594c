"""The UCP 600 examination engine: for every rule a complying and a discrepant case (exact code),
all discrepancies in one report, and properties of complying presentations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.credit.examination import (
    CODES,
    ENGINE_VERSION,
    BillOfLading,
    CertificateOfOrigin,
    CommercialInvoice,
    CreditTerms,
    DocumentType,
    InsuranceDocument,
    PackingList,
    Presentation,
    examine,
)

SHIPPED = date(2026, 5, 10)


def credit(**changes: Any) -> CreditTerms:
    terms: dict[str, Any] = {
        "number": "LC-2026-001",
        "applicant": "ACME Motors",
        "beneficiary": "Shenzhen Precision Parts",
        "currency": "USD",
        "amount": 10_000_000,  # 100,000.00
        "goods_description": "Brake discs, cast iron, 320 mm",
        "quantity": Decimal("1000"),
        "quantity_unit": "KGM",
        "unit_price": 10_000,
        "expiry_date": date(2026, 6, 30),
        "latest_shipment_date": date(2026, 5, 31),
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "incoterm": "CIF",
        "partial_shipments_allowed": False,
        "transshipment_allowed": False,
        "required_documents": (
            DocumentType.COMMERCIAL_INVOICE,
            DocumentType.BILL_OF_LADING,
            DocumentType.INSURANCE,
            DocumentType.PACKING_LIST,
            DocumentType.CERTIFICATE_OF_ORIGIN,
        ),
    }
    return CreditTerms(**{**terms, **changes})


def invoice(**changes: Any) -> CommercialInvoice:
    base: dict[str, Any] = {
        "issuer": "Shenzhen Precision Parts",
        "addressed_to": "ACME Motors",
        "currency": "USD",
        "amount": 10_000_000,
        "goods_description": "Brake discs, cast iron, 320 mm",
        "quantity": Decimal("1000"),
        "quantity_unit": "KGM",
        "unit_price": 10_000,
        "issue_date": SHIPPED,
    }
    return CommercialInvoice(**{**base, **changes})


def bill(**changes: Any) -> BillOfLading:
    base: dict[str, Any] = {
        "shipper": "Shenzhen Precision Parts",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_date": SHIPPED,
        "issue_date": SHIPPED,
        "goods_description": "Brake discs",
        "quantity": Decimal("1000"),
    }
    return BillOfLading(**{**base, **changes})


def presentation(**changes: Any) -> Presentation:
    base: dict[str, Any] = {
        "presented_on": SHIPPED + timedelta(days=10),
        "invoice": invoice(),
        "bills_of_lading": (bill(),),
        "insurance": InsuranceDocument(currency="USD", insured_amount=11_000_000, issue_date=SHIPPED),
        "packing_list": PackingList(quantity=Decimal("1000"), issue_date=SHIPPED),
        "certificate_of_origin": CertificateOfOrigin(goods_description="Brake discs", issue_date=SHIPPED),
    }
    return Presentation(**{**base, **changes})


Case = tuple[Callable[[], CreditTerms], Callable[[], Presentation]]
# code -> (complying case, discrepant case): each pair differs only in what the rule looks at
CASES: dict[str, tuple[Case, Case]] = {
    "DOCUMENT_MISSING": (
        (credit, presentation),
        (credit, lambda: presentation(packing_list=None)),
    ),
    "PRESENTED_AFTER_EXPIRY": (
        (credit, lambda: presentation(presented_on=date(2026, 5, 30))),
        (lambda: credit(expiry_date=date(2026, 5, 15)), lambda: presentation(presented_on=date(2026, 5, 16))),
    ),
    "LATE_PRESENTATION": (
        (credit, lambda: presentation(presented_on=SHIPPED + timedelta(days=21))),  # the 21st day is in time
        (credit, lambda: presentation(presented_on=SHIPPED + timedelta(days=22))),
    ),
    "LATE_SHIPMENT": (
        (credit, lambda: presentation(bills_of_lading=(bill(shipped_on_board_date=date(2026, 5, 31)),))),
        (credit, lambda: presentation(bills_of_lading=(bill(shipped_on_board_date=date(2026, 6, 1)),))),
    ),
    "NOT_SHIPPED_ON_BOARD": (
        (credit, presentation),
        (credit, lambda: presentation(bills_of_lading=(bill(shipped_on_board_date=None),))),
    ),
    "AMOUNT_OVER_CREDIT": (
        (
            lambda: credit(amount_tolerance_pct=Decimal(5)),
            lambda: presentation(invoice=invoice(amount=10_500_000), insurance=_insured(11_550_000)),
        ),
        (
            lambda: credit(amount_tolerance_pct=Decimal(5)),
            lambda: presentation(invoice=invoice(amount=10_500_001), insurance=_insured(11_550_002)),
        ),
    ),
    "QUANTITY_OUT_OF_TOLERANCE": (
        (
            credit,
            lambda: presentation(invoice=invoice(quantity=Decimal("1050")), **_same_qty("1050")),
        ),  # bulk: 5 %
        (credit, lambda: presentation(invoice=invoice(quantity=Decimal("1051")), **_same_qty("1051"))),
    ),
    "UNIT_PRICE_MISMATCH": (
        (lambda: credit(about_unit_price=True), lambda: presentation(invoice=invoice(unit_price=11_000))),
        (credit, lambda: presentation(invoice=invoice(unit_price=10_001))),
    ),
    "PARTIAL_SHIPMENT_PROHIBITED": (
        (
            lambda: credit(partial_shipments_allowed=True),
            lambda: presentation(invoice=invoice(quantity=Decimal("500")), **_same_qty("500")),
        ),
        (credit, lambda: presentation(invoice=invoice(quantity=Decimal("500")), **_same_qty("500"))),
    ),
    "TRANSSHIPMENT_PROHIBITED": (
        (credit, lambda: presentation(bills_of_lading=(bill(transshipment=True, containerised=True),))),
        (credit, lambda: presentation(bills_of_lading=(bill(transshipment=True),))),
    ),
    "INVOICE_NOT_BY_BENEFICIARY": (
        (credit, lambda: presentation(invoice=invoice(issuer="SHENZHEN  PRECISION parts"))),
        (credit, lambda: presentation(invoice=invoice(issuer="Dongguan Castings"))),
    ),
    "INVOICE_NOT_TO_APPLICANT": (
        (credit, presentation),
        (credit, lambda: presentation(invoice=invoice(addressed_to="ACME Trading"))),
    ),
    "INVOICE_CURRENCY_MISMATCH": (
        (credit, presentation),
        (credit, lambda: presentation(invoice=invoice(currency="EUR"))),
    ),
    "GOODS_DESCRIPTION_MISMATCH": (
        (credit, presentation),
        (credit, lambda: presentation(invoice=invoice(goods_description="Brake discs, cast iron, 300 mm"))),
    ),
    "DATA_CONFLICT": (
        (credit, presentation),
        (credit, lambda: presentation(packing_list=PackingList(quantity=Decimal("990"), issue_date=SHIPPED))),
    ),
    "PORT_MISMATCH": (
        (credit, lambda: presentation(bills_of_lading=(bill(port_of_loading="cnszx"),))),
        (credit, lambda: presentation(bills_of_lading=(bill(port_of_discharge="DEHAM"),))),
    ),
    "INSURANCE_UNDERINSURED": (
        (credit, presentation),  # exactly 110 %
        (
            credit,
            lambda: presentation(
                insurance=InsuranceDocument(currency="USD", insured_amount=10_999_999, issue_date=SHIPPED)
            ),
        ),
    ),
    "INSURANCE_CURRENCY_MISMATCH": (
        (credit, presentation),
        (
            credit,
            lambda: presentation(
                insurance=InsuranceDocument(currency="EUR", insured_amount=11_000_000, issue_date=SHIPPED)
            ),
        ),
    ),
    "INSURANCE_DATED_AFTER_SHIPMENT": (
        (
            credit,
            lambda: presentation(
                insurance=InsuranceDocument(
                    currency="USD",
                    insured_amount=11_000_000,
                    issue_date=SHIPPED + timedelta(days=1),
                    effective_date=SHIPPED,  # dated later, but effective from shipment: complying
                )
            ),
        ),
        (
            credit,
            lambda: presentation(
                insurance=InsuranceDocument(
                    currency="USD", insured_amount=11_000_000, issue_date=SHIPPED + timedelta(days=1)
                )
            ),
        ),
    ),
    "DOCUMENT_DATED_AFTER_PRESENTATION": (
        (credit, presentation),
        (credit, lambda: presentation(invoice=invoice(issue_date=SHIPPED + timedelta(days=11)))),
    ),
}


def _insured(amount: int) -> InsuranceDocument:
    return InsuranceDocument(currency="USD", insured_amount=amount, issue_date=SHIPPED)


def _same_qty(quantity: str) -> dict[str, Any]:
    """The transport document and packing list agreeing with an invoice quantity."""
    return {
        "bills_of_lading": (bill(quantity=Decimal(quantity)),),
        "packing_list": PackingList(quantity=Decimal(quantity), issue_date=SHIPPED),
    }


def test_every_code_has_cases() -> None:
    assert set(CASES) == set(CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_rule_complies_and_discrepant_with_its_exact_code(code: str) -> None:
    (ok_credit, ok_presentation), (bad_credit, bad_presentation) = CASES[code]

    complying = examine(ok_credit(), ok_presentation())
    discrepant = examine(bad_credit(), bad_presentation())

    assert complying.complying and complying.discrepancies == (), complying.discrepancies
    assert [d.code for d in discrepant.discrepancies] == [code], discrepant.discrepancies
    assert discrepant.status == "discrepant" and discrepant.discrepancies[0].reference.startswith("UCP 600")


def test_about_means_ten_percent_on_amount_and_quantity() -> None:
    about = credit(about_amount=True, about_quantity=True, quantity_unit="PCS", unit_price=None)
    ten_percent_more = presentation(
        invoice=invoice(amount=11_000_000, quantity=Decimal("1100"), unit_price=None),
        insurance=InsuranceDocument(currency="USD", insured_amount=12_100_000, issue_date=SHIPPED),
        **_same_qty("1100"),
    )

    assert examine(about, ten_percent_more).complying
    counted = credit(quantity_unit="PCS")  # counted in items: no 5 % tolerance
    one_more = presentation(invoice=invoice(quantity=Decimal("1001")), **_same_qty("1001"))
    assert [d.code for d in examine(counted, one_more).discrepancies] == ["QUANTITY_OUT_OF_TOLERANCE"]


def test_earlier_drawings_reduce_what_is_available() -> None:
    drawn = presentation(previously_drawn=1)

    assert [d.code for d in examine(credit(), drawn).discrepancies] == ["AMOUNT_OVER_CREDIT"]


def test_a_refusal_lists_every_discrepancy_at_once_in_a_stable_order() -> None:
    bad = presentation(
        presented_on=date(2026, 7, 1),
        invoice=invoice(currency="EUR", issuer="Someone Else"),
        bills_of_lading=(bill(shipped_on_board_date=date(2026, 6, 2), transshipment=True),),
        packing_list=None,
    )

    report = examine(credit(), bad)

    assert [d.code for d in report.discrepancies] == [
        "DOCUMENT_MISSING",
        "PRESENTED_AFTER_EXPIRY",
        "LATE_PRESENTATION",
        "LATE_SHIPMENT",
        "TRANSSHIPMENT_PROHIBITED",
        "INVOICE_NOT_BY_BENEFICIARY",
        "INVOICE_CURRENCY_MISMATCH",
    ]
    assert report.engine == ENGINE_VERSION and report.result_hash == examine(credit(), bad).result_hash
    assert report.result_hash != examine(credit(), presentation()).result_hash


@settings(max_examples=60, deadline=None)
@given(
    certificate_words=st.sampled_from(["Brake discs", "cast iron", "Brake", ""]),
    shipper=st.text(min_size=1, max_size=30),
    early_days=st.integers(0, 20),
    insured_extra=st.integers(0, 5_000_000),
)
def test_a_complying_presentation_stays_complying_when_irrelevant_fields_change(
    certificate_words: str, shipper: str, early_days: int, insured_extra: int
) -> None:
    varied = presentation(
        presented_on=SHIPPED + timedelta(days=21 - early_days),
        bills_of_lading=(bill(shipper=shipper),),  # the shipper need not be the beneficiary (Art. 14(k))
        certificate_of_origin=CertificateOfOrigin(goods_description=certificate_words, issue_date=SHIPPED),
        insurance=InsuranceDocument(
            currency="USD", insured_amount=11_000_000 + insured_extra, issue_date=SHIPPED
        ),
    )

    assert examine(credit(), varied).complying


@settings(max_examples=60, deadline=None)
@given(days_late=st.integers(1, 400))
def test_shipping_after_the_latest_shipment_date_is_always_late_shipment(days_late: int) -> None:
    terms = credit(expiry_date=date(2028, 1, 1))
    on_board = terms.latest_shipment_date + timedelta(days=days_late)
    late = presentation(
        presented_on=on_board,
        bills_of_lading=(bill(shipped_on_board_date=on_board, issue_date=on_board),),
        invoice=invoice(issue_date=on_board),
        insurance=InsuranceDocument(currency="USD", insured_amount=11_000_000, issue_date=on_board),
    )

    assert "LATE_SHIPMENT" in {d.code for d in examine(terms, late).discrepancies}
