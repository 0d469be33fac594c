"""API fuzzing (issue 10, point 3): schemathesis against the app's own OpenAPI document.

What runs: every operation of ``/openapi.json``, in-process over ASGI, against the real app over a real
database and a real anvil chain with the contracts deployed and a small consortium registered (one
organisation of each of the ten roles, each with its API key) and a few real objects (an order shipped
and received, its receivable, a financing request, a letter of credit, a document) whose ids generated
paths use now and then, so requests reach real objects as well as unknown ones.

- ``test_api_fuzz.py::test_every_operation_as_every_role``: each generated request (valid and invalid
  data, schemathesis' coverage, examples and fuzzing phases) is sent once with the key of each role.
  Pass: no 5xx, the status code is documented for the operation, the content type and body match what
  the document declares for it, and headers it declares are there.
- ``test_api_fuzz.py::test_no_operation_answers_without_a_valid_key``: each generated request sent with
  no key, a malformed key and a revoked key gets 401 problem+json, on every operation except the
  public ones listed in ``PUBLIC`` (health and metrics probes; the documentation pages).

Run: ``.venv/bin/pytest -q tests/fuzz``. Examples per operation: ``TRADELEDGER_FUZZ_EXAMPLES`` (default
small so CI stays within a few minutes; raise it for a deeper local run, e.g. 200). The fuzz app is built
with the per-key rate limit raised (``rate_limit_per_minute``/``rate_limit_burst``), since one key sends
hundreds of requests a second here; the limiter itself still runs in front of every request.
"""
