"""Sign-in, sign-out and each role's home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.service import authenticate
from api.db import SessionDep
from api.orders.service import OrdersService
from api.web.nav import PURCHASE_ORDERS
from api.web.pages import WebRoute, render
from api.web.session import same_origin, sign_in, sign_out, viewer
from chain.errors import Unauthorized

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SameOrigin = Depends(same_origin)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> Response:
    """The sign-in page, or the signed-in organisation's home."""
    found = viewer(request, session)
    if found is None:
        return render(request, "login.html")
    orders = OrdersService(session).for_caller(found.caller) if PURCHASE_ORDERS in found.navigation else None
    return render(request, "home.html", {"orders": orders})


@router.post("/login", dependencies=[SameOrigin])
def login(request: Request, session: SessionDep, api_key: Annotated[str, Form()] = "") -> Response:
    """Check the key as the API does; a good one signs the browser in (the cookie), a bad one is 401."""
    try:
        authenticate(session, api_key.strip())
    except Unauthorized as error:
        return render(request, "login.html", {"error": error}, status=error.status)
    response = RedirectResponse("/", status_code=303)
    sign_in(response, request, api_key.strip())
    return response


@router.post("/logout", dependencies=[SameOrigin])
def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    sign_out(response, request)
    return response
