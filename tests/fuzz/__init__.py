"""API fuzzing (issue 10, point 3): schemathesis against the app's own OpenAPI document.

What runs: every operation of ``/openapi.json``, in-process over ASGI, against the real app over PostgreSQL
(the production database, strictest on bad input) and the real anvil chain with the contracts deployed, a
small consortium registered (one organisation of each of the ten roles, each with its API key) and a few
real objects (an order shipped and received, its confirmed receivable, a financing request, a letter of
credit, its documents) whose ids generated paths use now and then, so requests reach real objects as well
as unknown ones.

- ``test_api_fuzz.py::test_every_operation_as_every_role``: schemathesis' examples, coverage (every boundary
  of every field, missing and wrong-typed fields, other methods) and fuzzing phases, valid and invalid data.
  Fuzzing cases are sent as every role; a role refused by role (403 ``role_required``/``read_only_role``) is
  then sent only every tenth case; coverage cases go to one admitted role each, in turn. Pass: no 5xx, the
  status code is documented for the operation, the content type and body match what the document declares,
  the headers it declares (``WWW-Authenticate`` on 401, ``Retry-After`` on 429) are there.
- ``test_api_fuzz.py::test_no_operation_answers_without_a_valid_key``: each case sent with no key, an empty
  bearer, another scheme, malformed keys and a revoked key (header and ``X-API-Key``) gets 401 problem+json
  on every operation except ``PUBLIC`` (``/healthz``, ``/metrics``); never a 2xx. A keyless call gets 401
  before its body is parsed (``api/auth/gate.py``); one with a malformed or revoked key and a body that is
  not JSON still gets 422 (400 if not UTF-8) first: FastAPI parses the body before the route authenticates.
- ``test_api_fuzz.py::test_every_route_open_to_anyone_is_listed_and_every_other_refuses_a_visitor``: the
  route table holds only document operations, the listed documentation pages and static mounts, and web UI
  pages that send a visitor without a session to sign in.
- ``test_findings.py``: each bug the fuzzer found, pinned by the request that showed it.

Run: ``.venv/bin/pytest -q tests/fuzz``. Fuzzing examples per operation: ``TRADELEDGER_FUZZ_EXAMPLES``
(default 4, 2 without a key, so CI stays within minutes); setting it also sends every coverage case as
every role, for a deeper local run (e.g. ``TRADELEDGER_FUZZ_EXAMPLES=100``). The fuzz app is built with the
per-key rate limit raised (``rate_limit_per_minute``/``rate_limit_burst``: one key sends hundreds of
requests a second here); the limiter still runs in front of every request.
"""
