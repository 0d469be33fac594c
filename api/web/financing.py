"""Financing: the financier's queue, pricing, approval and risk review; the supplier's requests and offers."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(prefix="/financing", route_class=WebRoute, include_in_schema=False)
