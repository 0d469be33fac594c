"""Rendering: the Jinja2 templates, their filters, and the route class that turns errors into pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.trade.money import from_minor
from api.web.session import SignInRequired
from chain.errors import InvalidInput, TradeLedgerError

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def money(minor: int, currency: str) -> str:
    """``12345000, "USD"`` -> ``"123,450.00 USD"``."""
    major = from_minor(minor, currency)
    whole, _, fraction = major.partition(".")
    return f"{int(whole):,}{'.' + fraction if fraction else ''} {currency}"


def short(value: str, keep: int = 6) -> str:
    """``0x1234…cdef`` for a long hex id (the full value goes in a title or a link)."""
    return value if len(value) <= 2 * keep + 4 else f"{value[: keep + 2]}…{value[-keep:]}"


TEMPLATES.env.filters["money"] = money
TEMPLATES.env.filters["short"] = short


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """``template`` in the layout, for the signed-in viewer if there is one."""
    values = {"viewer": getattr(request.state, "viewer", None), **(context or {})}
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)


def error_page(request: Request, error: TradeLedgerError) -> HTMLResponse:
    return render(request, "error.html", {"error": error}, status=error.status)


class WebRoute(APIRoute):
    """A page or form: a browser that is not signed in gets the sign-in page (303 to ``/``), and an error
    from a service is shown in the layout (``role="alert"``, its code and detail) with its status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInRequired:
                return RedirectResponse("/", status_code=303)
            except TradeLedgerError as error:
                return error_page(request, error)
            except RequestValidationError as exc:
                where = ", ".join(".".join(map(str, e.get("loc", ()))) for e in exc.errors())
                return error_page(request, InvalidInput(f"the form is not complete ({where})"))

        return page
