"""Letters of credit: issue, present, examine (with the examination report), honour or refuse."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import WebRoute

router = APIRouter(prefix="/letters-of-credit", route_class=WebRoute, include_in_schema=False)
