"""What each role is called and which sections of the web UI it sees (unbuilt sections are not linked)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    label: str
    href: str


HOME = Link("Home", "/")
PURCHASE_ORDERS = Link("Purchase orders", "/purchase-orders")
RECEIVABLES = Link("Invoices & receivables", "/receivables")
FINANCING = Link("Financing", "/financing")
CASH = Link("Cash", "/cash")
CREDITS = Link("Letters of credit", "/letters-of-credit")
SHIPMENTS = Link("Shipments", "/shipments")
DECLARATIONS = Link("Customs declarations", "/declarations")
CARBON = Link("Carbon", "/carbon")
AUDIT = Link("Audit", "/audit")

ROLE_LABELS = {
    "core_enterprise": "Core enterprise (buyer)",
    "supplier": "Supplier",
    "financier": "Financier",
    "logistics": "Logistics provider",
    "customs_oracle": "Customs oracle",
    "iot_oracle": "IoT oracle",
    "auditor": "Auditor",
    "regulator": "Regulator",
    "carbon_verifier": "Carbon verifier",
    "operator": "Consortium operator",
}

SECTIONS: dict[str, tuple[Link, ...]] = {
    "core_enterprise": (PURCHASE_ORDERS, RECEIVABLES, CASH, CREDITS, SHIPMENTS, CARBON),
    "supplier": (PURCHASE_ORDERS, RECEIVABLES, FINANCING, CASH, CREDITS, SHIPMENTS, CARBON),
    "financier": (FINANCING, CASH, RECEIVABLES, CREDITS, CARBON),
    "logistics": (SHIPMENTS, CARBON),
    "customs_oracle": (DECLARATIONS,),
    "iot_oracle": (CARBON,),
    "carbon_verifier": (CARBON,),
    "auditor": (AUDIT, CARBON),
    "regulator": (AUDIT, CARBON),
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


def navigation(role: str) -> tuple[Link, ...]:
    """The links of the main navigation for an organisation of ``role``: home, then its sections."""
    return (HOME, *SECTIONS.get(role, ()))
