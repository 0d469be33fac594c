"""The auditor's pages: verify a document by dropping it, look up any record, export an audit pack."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(prefix="/audit", route_class=WebRoute, include_in_schema=False)
