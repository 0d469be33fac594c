"""Invoices and receivables: the buyer's match, confirm and repay; the supplier's invoices, split,
transfer and financing request."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(prefix="/receivables", route_class=WebRoute, include_in_schema=False)
