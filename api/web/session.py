"""Signing a browser in with an API key, and the origin check that guards every form post.

The cookie holds the API key the user typed, so each request is authenticated exactly as the API
authenticates a bearer key (``api.auth.service.authenticate``: a revoked key or a suspended
organisation takes effect at once). It is HttpOnly (no script reads it), SameSite=Strict (no other
site's page sends it), a session cookie (gone when the browser closes) and Secure in production.
Every state-changing form must also come from a page of this site: its ``Origin`` (or, without one,
its ``Referer``) must name the host the request was sent to; anything else is refused with 403
``csrf_failed`` before anything is done with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlmodel import Session

from api.auth.deps import writer
from api.auth.service import Caller, authenticate
from api.db import SessionDep
from api.participants.service import ParticipantsService
from api.web.nav import Link, navigation, role_label
from chain.errors import Forbidden, Unauthorized

COOKIE = "tradeledger_session"


class SignInRequired(Exception):
    """The page needs a signed-in browser; the web routes answer with the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """Who the browser is signed in as: the API caller and what the layout shows about it."""

    caller: Caller
    name: str  # the organisation's name

    @property
    def role_label(self) -> str:
        return role_label(self.caller.role)

    @property
    def navigation(self) -> tuple[Link, ...]:
        return navigation(self.caller.role)


def sign_in(response: Response, request: Request, api_key: str) -> None:
    production = request.app.state.settings.environment == "production"
    response.set_cookie(COOKIE, api_key, httponly=True, samesite="strict", secure=production, path="/")


def sign_out(response: Response, request: Request) -> None:
    production = request.app.state.settings.environment == "production"
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=production, path="/")


def viewer(request: Request, session: Session) -> Viewer | None:
    """The signed-in viewer, or None without a cookie or with a key that is no longer valid."""
    api_key = request.cookies.get(COOKIE)
    if not api_key:
        return None
    try:
        caller = authenticate(session, api_key)
    except Unauthorized:
        return None
    request.state.caller = caller  # the access log records auditors' page views as it does API reads
    found = Viewer(caller, ParticipantsService(session).get(caller.org_id).name)
    request.state.viewer = found
    return found


def same_origin(request: Request) -> None:
    """Refuse a form post that does not come from a page of this site (403 ``csrf_failed``)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host")
    if not source or source == "null" or host is None or urlsplit(source).netloc != host:
        raise Forbidden(
            "this form was not sent from a page of this site; reload the page and submit it again",
            code="csrf_failed",
        )


def _page_viewer(request: Request, session: SessionDep) -> Viewer:
    found = viewer(request, session)
    if found is None:
        raise SignInRequired
    return found


def _form_viewer(request: Request, session: SessionDep) -> Viewer:
    same_origin(request)
    return _page_viewer(request, session)


def _form_writer(found: Annotated[Viewer, Depends(_form_viewer)]) -> Viewer:
    writer(found.caller)  # the API's one check: auditors and regulators read only, suspended orgs too
    return found


def _form_reader(request: Request, found: Annotated[Viewer, Depends(_form_viewer)]) -> Viewer:
    request.state.read_only_form = True  # the access log records an auditor's read-only post as a read
    return found


PageViewer = Annotated[Viewer, Depends(_page_viewer)]  # a page for signed-in browsers
FormWriter = Annotated[Viewer, Depends(_form_writer)]  # a form that changes something
FormReader = Annotated[Viewer, Depends(_form_reader)]  # a form that only reads (auditors may post it)
