"""Customs data adapters against the embedded customs authority (a real HTTP server) and a real folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.node import free_port
from oracles.customs.authority import AuthorityError, CustomsAuthority, serve_authority
from oracles.customs.feeds import FeedEvent, FeedUnavailable, HttpFeed, InboxFeed


def declaration(number: str = "DEC-1", **changes: Any) -> dict[str, Any]:
    body = {
        "declaration_number": number,
        "customs_office": "CNSZX01",
        "direction": "export",
        "exporter": "0x" + "11" * 32,
        "exporter_name": "Shenzhen Precision Parts",
        "importer": "0x" + "22" * 32,
        "importer_name": "ACME Motors",
        "po_number": "PO-1",
        "transport_document": "BL-1",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "currency": "USD",
        "declared_value": "110000.00",
        "declared_at": "2026-03-30T08:00:00Z",
        "lines": [
            {
                "line_no": 1,
                "item": "BRK-220",
                "hs_code": "870830",
                "description": "Brake discs",
                "quantity": "100",
                "unit": "EA",
                "value": "100000.00",
                "origin_country": "CN",
            }
        ],
    }
    body.update(changes)
    return body


# --- the embedded customs authority -------------------------------------------------------------


def test_statuses_only_move_forward_and_unknown_numbers_are_named(tmp_path: Path) -> None:
    authority = CustomsAuthority(tmp_path / "events.jsonl")
    authority.file(declaration(), at="2026-03-30T08:00:00Z")
    authority.advance("DEC-1", "released", at="2026-03-31T08:00:00Z")

    with pytest.raises(AuthorityError) as backwards:
        authority.advance("DEC-1", "inspected")
    with pytest.raises(AuthorityError) as unknown:
        authority.advance("DEC-404", "cleared")
    with pytest.raises(AuthorityError) as twice:
        authority.file(declaration())

    assert (backwards.value.status, backwards.value.code) == (409, "status_backwards")
    assert (unknown.value.status, unknown.value.code) == (404, "declaration_unknown")
    assert (twice.value.status, twice.value.code) == (409, "declaration_exists")
    assert [s["status"] for s in authority.timeline("DEC-1")] == ["declared", "released"]


def test_the_register_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    CustomsAuthority(path).file(declaration(), at="2026-03-30T08:00:00Z")

    again = CustomsAuthority(path)
    again.advance("DEC-1", "cleared", at="2026-04-02T08:00:00Z")

    assert [e["seq"] for e in CustomsAuthority(path).events()] == [1, 2]


def test_the_service_answers_bad_requests_with_codes(tmp_path: Path) -> None:
    with serve_authority(CustomsAuthority(), free_port()) as url:
        filed = httpx.post(f"{url}/declarations", json={"declaration": declaration()})
        again = httpx.post(f"{url}/declarations", json={"declaration": declaration()})
        no_body = httpx.post(f"{url}/declarations", json={"nothing": 1})
        odd = httpx.post(f"{url}/declarations/DEC-1/status", json={"status": "teleported"})
        record = httpx.get(f"{url}/declarations/DEC-1").json()

    assert filed.status_code == 201
    assert (again.status_code, again.json()["detail"]["code"]) == (409, "declaration_exists")
    assert (no_body.status_code, no_body.json()["detail"]["code"]) == (422, "invalid_body")
    assert (odd.status_code, odd.json()["detail"]["code"]) == (422, "unknown_status")
    assert [s["status"] for s in record["timeline"]] == ["declared"]


# --- the HTTP polling adapter -------------------------------------------------------------------


def test_the_http_feed_pages_through_events_after_its_cursor() -> None:
    authority = CustomsAuthority()
    authority.file(declaration("DEC-1"), at="2026-03-30T08:00:00Z")
    authority.file(declaration("DEC-2"), at="2026-03-30T09:00:00Z")
    authority.advance("DEC-1", "cleared", at="2026-04-01T08:00:00Z")
    with serve_authority(authority, free_port()) as url:
        feed = HttpFeed(url, page_size=2)
        first = feed.fetch(None)
        second = feed.fetch(first.cursor)
        empty = feed.fetch(second.cursor)

    assert [(e.declaration["declaration_number"], e.status) for e in first.events] == [
        ("DEC-1", "declared"),
        ("DEC-2", "declared"),
    ]
    assert [(e.declaration["declaration_number"], e.status, e.at) for e in second.events] == [
        ("DEC-1", "cleared", "2026-04-01T08:00:00Z")
    ]
    assert (first.cursor, second.cursor, empty.cursor, empty.events) == ("2", "3", "3", [])


def test_the_http_feed_reports_an_outage_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    path, port = tmp_path / "events.jsonl", free_port()
    authority = CustomsAuthority(path)
    authority.file(declaration("DEC-1"), at="2026-03-30T08:00:00Z")
    feed = HttpFeed(f"http://127.0.0.1:{port}", timeout=1)
    with serve_authority(authority, port):
        page = feed.fetch(None)
    authority.advance("DEC-1", "cleared", at="2026-04-01T08:00:00Z")  # happens while the feed is down

    with pytest.raises(FeedUnavailable, match="ConnectError"):
        feed.fetch(page.cursor)
    with serve_authority(CustomsAuthority(path), port):
        resumed = feed.fetch(page.cursor)

    assert [(e.status, e.cursor) for e in resumed.events] == [("cleared", "2")]


def test_a_malformed_entry_is_a_problem_not_an_event() -> None:
    authority = CustomsAuthority()
    authority.file(declaration("DEC-1"), at="2026-03-30T08:00:00Z")
    authority._events.append({"seq": 2, "declaration": declaration("DEC-1"), "status": "lost", "at": "x"})
    with serve_authority(authority, free_port()) as url:
        page = HttpFeed(url).fetch(None)

    assert [e.status for e in page.events] == ["declared"]
    assert [p.reason for p in page.problems] == [
        "unknown status 'lost'; expected one of declared, inspected, released, cleared"
    ]
    assert page.cursor == "2"  # a bad entry is recorded once, not read again and again


# --- the inbox-folder adapter -------------------------------------------------------------------


def _drop(folder: Path, name: str, body: Any) -> Path:
    path = folder / name
    tmp = folder / f"{name}.partial"
    tmp.write_text(body if isinstance(body, str) else json.dumps(body))
    tmp.rename(path)
    return path


def test_the_inbox_reads_dropped_files_and_moves_them_when_done(tmp_path: Path) -> None:
    inbox = InboxFeed(tmp_path)
    timeline = [
        {"status": "declared", "at": "2026-03-30T08:00:00Z"},
        {"status": "cleared", "at": "2026-04-01T08:00:00Z"},
    ]
    _drop(tmp_path, "DEC-1.json", {"declaration": declaration(), "timeline": timeline})
    (tmp_path / "DEC-2.json.partial").write_text("{ half written")  # not a .json file yet

    page = inbox.fetch(None)
    inbox.done(page)

    assert [(e.status, e.source) for e in page.events] == [
        ("declared", "DEC-1.json"),
        ("cleared", "DEC-1.json"),
    ]
    assert all(isinstance(e, FeedEvent) for e in page.events)
    assert (tmp_path / "done" / "DEC-1.json").exists()
    assert inbox.fetch(None).events == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{ not json", "unreadable declaration file"),
        (json.dumps({"declaration": declaration()}), "unreadable declaration file: missing timeline"),
        (
            json.dumps(
                {"declaration": declaration(), "timeline": [{"status": "cleared", "at": "2026-04-01"}]}
            ),
            "has no timezone",
        ),
    ],
)
def test_an_unreadable_file_is_rejected_with_its_reason(tmp_path: Path, content: str, reason: str) -> None:
    inbox = InboxFeed(tmp_path)
    _drop(tmp_path, "bad.json", content)

    page = inbox.fetch(None)

    assert page.events == []
    assert reason in page.problems[0].reason
    assert (tmp_path / "rejected" / "bad.json").exists()
    assert reason in (tmp_path / "rejected" / "bad.json.error.txt").read_text()
