"""What the fuzzer found, each pinned by the request that showed it (on PostgreSQL, whose integers are 32 and
64 bits wide where Python's are not, and which refuses what SQLite lets pass)."""

from __future__ import annotations

from typing import Any

import pytest

from api.errors import PROBLEM_JSON
from tests.fuzz.conftest import FuzzWorld

pytestmark = [pytest.mark.chain, pytest.mark.postgres]

INT32_OVER = 2**31
INT64_OVER = 2**63


def _problem(
    world: FuzzWorld, method: str, path: str, who: str = "supplier", **kwargs: Any
) -> tuple[int, str]:
    headers = {**world.headers(who), **kwargs.pop("headers", {})}
    response = world.stack.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    return response.status_code, response.json()["code"]


ROW_ID_ROUTES = [  # (method, path) of the routes that take a database row id in their path
    ("DELETE", "/api-keys/{key_id}"),
    ("GET", "/readings/{reading_id}/proof"),
    ("POST", "/letters-of-credit/{credit_id}/amendments/{number}/accept"),
    ("POST", "/letters-of-credit/{credit_id}/amendments/{number}/reject"),
]


@pytest.mark.parametrize(("method", "path"), ROW_ID_ROUTES)
@pytest.mark.parametrize("n", [INT32_OVER, INT64_OVER, -1])
def test_a_row_id_no_database_integer_holds_is_invalid_not_a_500(
    fuzz_world: FuzzWorld, method: str, path: str, n: int
) -> None:
    operation = fuzz_world.app.openapi()["paths"]["/api/v1" + path][method.lower()]
    [row_id] = [p for p in operation["parameters"] if p["in"] == "path" and p["schema"]["type"] == "integer"]
    url = path.format(key_id=n, reading_id=n, number=n, credit_id=fuzz_world.ids["credit_id"][0])

    assert _problem(fuzz_world, method, url, "buyer") == (422, "invalid_request")
    assert (row_id["schema"]["minimum"], row_id["schema"]["maximum"]) == (0, 2**31 - 1)


def test_an_offset_past_any_row_is_an_empty_page_and_past_any_integer_invalid(fuzz_world: FuzzWorld) -> None:
    client, headers = fuzz_world.stack.client, fuzz_world.headers("auditor")
    last = client.get(f"/api/v1/audit/access-log?offset={INT64_OVER - 1}", headers=headers)

    assert (last.status_code, last.json()) == (200, [])
    assert _problem(fuzz_world, "GET", f"/audit/access-log?offset={INT64_OVER}", "auditor") == (
        422,
        "invalid_request",
    )


def test_a_carbon_score_of_something_that_is_no_organisation_id_is_invalid(fuzz_world: FuzzWorld) -> None:
    assert _problem(fuzz_world, "GET", "/carbon/scores/0", "bank") == (422, "invalid_org_id")


def test_a_json_body_that_is_not_utf8_is_a_documented_400(fuzz_world: FuzzWorld) -> None:
    documented = fuzz_world.app.openapi()["paths"]["/api/v1/letters-of-credit"]["post"]["responses"]
    status, code = _problem(
        fuzz_world,
        "POST",
        "/letters-of-credit",
        "buyer",
        content=b"\x0f6\xc3",  # truncated UTF-8: not even text
        headers={"Content-Type": "application/json"},
    )

    assert (status, code) == (400, "http_400")
    assert PROBLEM_JSON in documented["400"]["content"]


def test_retiring_credits_of_something_that_is_no_token_id_is_invalid(fuzz_world: FuzzWorld) -> None:
    body = {"beneficiary": "ACME", "kg": 1, "reason": "offset"}

    assert _problem(fuzz_world, "POST", "/carbon/credits/%3A/retire", "buyer", json=body) == (
        422,
        "invalid_request",
    )


@pytest.mark.parametrize("parts", [[0, -1], [1, 2**256], [1, INT64_OVER]])
def test_a_split_into_parts_no_amount_can_be_is_invalid(fuzz_world: FuzzWorld, parts: list[int]) -> None:
    receivable = fuzz_world.ids["receivable_id"][0]
    body = {"amounts_minor": parts}

    assert _problem(fuzz_world, "POST", f"/receivables/{receivable}/split", json=body) == (
        422,
        "invalid_request",
    )


def test_a_tolerance_finer_than_it_is_kept_is_invalid(fuzz_world: FuzzWorld) -> None:
    body = {"price_pct": "1.214871053711292", "qty_pct": "1", "amount_abs_minor": 0}

    assert _problem(fuzz_world, "PUT", "/matching/tolerance", "buyer", json=body) == (422, "invalid_request")


def test_governance_events_from_a_block_past_any_index_integer_is_invalid(fuzz_world: FuzzWorld) -> None:
    assert _problem(fuzz_world, "GET", f"/audit/governance?from_block={INT32_OVER}", "auditor") == (
        422,
        "invalid_request",
    )


@pytest.mark.parametrize("field", ["expiry_date", "latest_shipment_date"])
def test_a_letter_of_credit_date_before_1970_is_invalid(fuzz_world: FuzzWorld, field: str) -> None:
    credit = fuzz_world.ids["credit_id"][0]

    assert _problem(
        fuzz_world, "POST", f"/letters-of-credit/{credit}/amendments", "bank", json={field: "1969-01-01"}
    ) == (422, "invalid_request")
