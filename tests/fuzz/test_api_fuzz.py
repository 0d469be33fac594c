"""Schemathesis over every operation of the API, as every role and as nobody (see the package docstring)."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine
from starlette.routing import Mount

from api.app import create_app
from api.errors import PROBLEM_JSON
from tests.fuzz.conftest import FUZZ_SETTINGS, REAL_IDS, ROLES, FuzzWorld, fuzz_examples

pytestmark = [pytest.mark.chain, pytest.mark.postgres]

# the document is read from an app built at import (it depends on the routes only); every request goes
# to the fuzz world's app, passed to each call
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(FUZZ_SETTINGS, engine=create_engine("sqlite://"))
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
FUZZ = settings(
    max_examples=fuzz_examples(4),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@schema.hook
def flatmap_path_parameters(_: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Now and then, a path parameter names a real object of the fuzz world instead of the generated value."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {
        name: st.one_of(st.just(value), st.sampled_from(REAL_IDS[name]))
        for name, value in path_parameters.items()
        if REAL_IDS.get(name)
    }
    return st.fixed_dictionaries(real).map(lambda chosen: {**path_parameters, **chosen})


# a role refused with one of these codes is refused whatever the input: it is then sent only every tenth
# case of that operation (each role in turn). The coverage phase's cases (hundreds on a large body: every
# boundary of every field) go to one admitted role each, in turn, unless TRADELEDGER_FUZZ_EXAMPLES asks
# for a deep run; the fuzzing phase's go to every admitted role.
REFUSED_BY_ROLE = frozenset({"role_required", "read_only_role"})
DEEP = bool(os.environ.get("TRADELEDGER_FUZZ_EXAMPLES"))
_refused: defaultdict[str, set[str]] = defaultdict(set)  # operation -> names of the roles refused by role
_sent: Counter[str] = Counter()  # operation -> cases sent


def _is_coverage(case: Any) -> bool:
    return case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE


def _callers(case: Any) -> list[str]:
    """The roles to send ``case`` as: those admitted (one in turn for a coverage case), and one refused."""
    operation, names = case.operation.label, list(ROLES)
    turn = _sent[operation]
    _sent[operation] += 1
    admitted = [name for name in names if name not in _refused[operation]]
    if _is_coverage(case) and not DEEP:
        admitted = admitted[turn % len(admitted) :][:1] if admitted else []
    refused = names[turn % len(names)]
    return admitted + ([refused] if refused not in admitted else [])


@schema.parametrize()
@FUZZ
def test_every_operation_as_every_role(case: Any, fuzz_world: FuzzWorld) -> None:
    operation = case.operation.label
    for name in _callers(case):
        response = case.call(headers=fuzz_world.headers(name), app=fuzz_world.app)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            exc.add_note(f"as {name} ({ROLES[name]})")
            raise
        if response.status_code == 403 and response.json().get("code") in REFUSED_BY_ROLE:
            _refused[operation].add(name)
        fuzz_world.keep_key(name, case.method, response)


# operations of the document anyone may call (and the documentation pages, which are not operations)
PUBLIC = {
    "GET /healthz": "liveness and readiness probe for load balancers and orchestrators",
    "GET /metrics": "Prometheus scrape endpoint; keep it behind the network boundary (docs/operations.md)",
}
PUBLIC_PAGES = {
    "/openapi.json": "the OpenAPI document itself",
    "/docs": "Swagger UI over the document",
    "/docs/oauth2-redirect": "Swagger UI's OAuth2 helper page",
    "/redoc": "ReDoc over the document",
}
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def _strangers(world: FuzzWorld) -> dict[str, dict[str, str]]:
    """Requests' credentials that must all be refused: none, malformed ones, and a revoked key."""
    return {
        "no key": {},
        "empty bearer": {"Authorization": "Bearer "},
        "other scheme": {"Authorization": "Basic " + world.stack.keys["supplier"]},
        "malformed bearer": {"Authorization": "Bearer not-a-key"},
        "malformed X-API-Key": {"X-API-Key": "tl_" + "0" * 40},
        "revoked bearer": {"Authorization": f"Bearer {world.revoked_key}"},
        "revoked X-API-Key": {"X-API-Key": world.revoked_key},
    }


def _is_unparsed_body(response: Any) -> bool:
    """400 for a body that cannot be read (not UTF-8), 422 ``json_invalid`` for one that is not JSON: FastAPI
    parses the body before it runs the route's dependencies, authentication included (a key that is
    present but malformed or revoked; a keyless call is refused before, by the KeyRequired gate)."""
    body = response.json()
    if response.status_code == 400:
        return bool(body["code"] == "http_400")
    return response.status_code == 422 and all(
        e["type"] == "json_invalid" for e in body.get("errors") or [{}]
    )


@schema.exclude(name=list(PUBLIC)).parametrize()
@settings(FUZZ, max_examples=fuzz_examples(2))
def test_no_operation_answers_without_a_valid_key(case: Any, fuzz_world: FuzzWorld) -> None:
    for credential in CREDENTIAL_HEADERS:  # generated security parameters would stand in for ours
        for name in [h for h in case.headers or {} if h.lower() == credential]:
            del case.headers[name]
    strangers = list(_strangers(fuzz_world).items())
    if _is_coverage(case) and not DEEP:  # one credential in turn (see _callers)
        strangers = [strangers[_sent[case.operation.label] % len(strangers)]]
        _sent[case.operation.label] += 1
    for what, headers in strangers:
        response = case.call(headers=headers, app=fuzz_world.app)
        try:
            case.validate_response(response, checks=CHECKS)
            assert response.headers["content-type"] == [PROBLEM_JSON]
            assert not 200 <= response.status_code < 300
            if case.method.upper() != case.operation.method.upper():  # the coverage phase tries others
                assert response.status_code == 405, f"{response.status_code} {response.text[:300]}"
            elif not _is_unparsed_body(response):
                assert response.status_code == 401, f"{response.status_code} {response.text[:300]}"
                assert response.json()["code"] in ("missing_api_key", "invalid_api_key")
        except BaseException as exc:
            exc.add_note(f"with {what}")
            raise


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{not json", {}),
        (b"\xff\xfe not utf-8", {}),
        (b"{not json", {"Authorization": "Bearer "}),
        (b"{not json", {"Authorization": "Basic abc"}),
    ],
    ids=["not JSON", "not UTF-8", "empty bearer", "other scheme"],
)
def test_a_request_without_a_key_and_a_body_that_is_not_json_gets_401(
    fuzz_world: FuzzWorld, body: bytes, headers: dict[str, str]
) -> None:
    """Once an open finding (FastAPI parses the body before the route authenticates: 422/400): the
    ``KeyRequired`` gate answers a keyless call before its body is read."""
    response = fuzz_world.stack.client.post(
        "/api/v1/cash/deposits", content=body, headers={"Content-Type": "application/json", **headers}
    )

    assert (response.status_code, response.json()["code"]) == (401, "missing_api_key")
    assert response.headers["www-authenticate"] == "Bearer"


# the web UI (cookie sessions, not API keys): what anyone may reach; every other page sends a visitor without
# a session to the sign-in page (GET) or refuses the form (POST)
WEB_PUBLIC = {
    "GET /": "the sign-in page",
    "POST /login": "signing in with an API key",
    "POST /logout": "signing out (clears the session cookie)",
}
STATIC = {"/static": "the web UI's stylesheet", "/static/vendor/htmx": "htmx, from npm"}


def test_every_route_open_to_anyone_is_listed_and_every_other_refuses_a_visitor(
    fuzz_world: FuzzWorld,
) -> None:
    client, app = TestClient(fuzz_world.app, raise_server_exceptions=False), fuzz_world.app
    document = {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}
    seen, problems = set(), []
    for ctx in iter_route_contexts(app.routes):
        route, path = ctx.original_route, ctx.path or ""
        if isinstance(route, Mount):
            assert path in STATIC, f"{path}: a mounted app nobody listed"
            seen.add(path)
            continue
        url = re.sub(r"\{[^}]+\}", "0x" + "ab" * 32, path)
        for method in sorted(set(ctx.methods or ()) - {"HEAD"}):
            name = f"{method} {path}"
            seen.add(name if name in document or name in WEB_PUBLIC else path)
            if name in document or name in WEB_PUBLIC:
                continue  # operations: the fuzz tests above; the web's own sign-in: tests/web
            response = client.request(method, url, follow_redirects=False)
            if path in PUBLIC_PAGES:
                ok = response.status_code == 200
            elif isinstance(route, APIRoute):  # the web UI's pages
                ok = (response.status_code, response.headers.get("location")) in ((303, "/"), (403, None))
            else:
                ok = False
            if not ok:
                problems.append(f"{name}: {response.status_code} {response.text[:200]}")

    assert problems == []
    assert seen >= {*PUBLIC, *PUBLIC_PAGES, *WEB_PUBLIC, *STATIC}, "a listed public route no longer exists"
    for name in PUBLIC:
        method, path = name.split(" ")
        assert client.request(method, path).status_code == 200, name
