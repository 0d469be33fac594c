"""The carbon dashboard: emissions by scope, facility, order and shipment; devices; credits."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(prefix="/carbon", route_class=WebRoute, include_in_schema=False)
