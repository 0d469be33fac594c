"""The JSON files a letter of credit is driven with from the command line (``tradeledger lc``)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path


def write_lc_files(
    folder: Path, today: date, *, number: str, amount: int, discharge: str = "NLRTM"
) -> tuple[Path, Path]:
    """``terms.json`` (ACME Motors applies, Harbour Bank issues and advises, Shenzhen Precision is the
    beneficiary; to NLRTM) and ``documents.json`` (an invoice and a bill of lading shipped three days
    ago to ``discharge``); returns their paths."""
    shipped = (today - timedelta(days=3)).isoformat()
    terms = {
        "number": number,
        "issuing_bank": "harbour-bank",
        "advising_bank": "harbour-bank",
        "beneficiary": "shenzhen-precision",
        "currency": "USD",
        "amount": amount,
        "goods_description": "Brake discs",
        "expiry_date": (today + timedelta(days=60)).isoformat(),
        "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
    }
    invoice = {
        "issuer": "Shenzhen Precision Parts",
        "addressed_to": "ACME Motors",
        "currency": "USD",
        "amount": amount,
        "goods_description": "Brake discs",
        "issue_date": shipped,
    }
    bill = {
        "shipper": "Shenzhen Precision Parts",
        "port_of_loading": "CNSZX",
        "port_of_discharge": discharge,
        "shipped_on_board_date": shipped,
        "issue_date": shipped,
    }
    (folder / "terms.json").write_text(json.dumps(terms))
    (folder / "documents.json").write_text(
        json.dumps({"amount_minor": amount, "invoice": invoice, "bills_of_lading": [bill]})
    )
    return folder / "terms.json", folder / "documents.json"
