"""Shipments, bills of lading and customs declarations: the carrier's and customs' views."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
