"""Customs data adapters: where declarations and their status changes come from, behind one interface.

A feed is a sequence of *events*, each one status change of one declaration (``declared``,
``inspected``, ``released``, ``cleared``) carrying the declaration as the customs authority
published it (money in major units, as the parsers take it). An operator reads the events after
its saved cursor, attests them, then saves the cursor; attesting is idempotent per declaration
and status, so a page read twice (after a crash or an outage) changes nothing.

Adapters:

- ``HttpFeed`` polls a JSON endpoint (``GET {url}/declarations/events?after=<seq>&limit=<n>``),
  which is what the embedded customs authority (``oracles.customs.authority``) serves;
- ``InboxFeed`` reads declaration files another system drops into a folder (``*.json``: a
  declaration and its status timeline); a processed file moves to ``done/``, a file that cannot
  be read to ``rejected/`` with the reason beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

import httpx

Status = Literal["declared", "inspected", "released", "cleared"]
STATUSES: tuple[str, ...] = get_args(Status)


class FeedUnavailable(Exception):
    """The feed cannot be read right now (network, HTTP 5xx, unreadable folder); try again later."""


@dataclass(frozen=True)
class FeedEvent:
    cursor: str  # the feed position just after this event
    declaration: Mapping[str, Any]  # as published: parse with api.trade.documents.parse_declaration
    status: str
    at: str  # ISO 8601 UTC time of the status change
    source: str = ""  # where it came from (file name, URL), for logs and rejections


@dataclass(frozen=True)
class FeedProblem:
    """Something in the feed that is not an event (an unreadable file, a malformed entry)."""

    source: str
    reason: str


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    cursor: str | None  # where the next read starts; None: nothing read yet
    problems: list[FeedProblem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # inbox files this page consumed


class CustomsFeed(Protocol):
    name: str

    def fetch(self, cursor: str | None) -> FeedPage:
        """Events after ``cursor`` (oldest first); raises FeedUnavailable when the source is down."""
        ...

    def done(self, page: FeedPage) -> None:
        """The page's events are attested and its cursor saved: release what it consumed."""
        ...


def event_from(entry: Mapping[str, Any], cursor: str, source: str) -> FeedEvent | FeedProblem:
    """One feed entry as an event, or the reason it is not one."""
    declaration, status, at = entry.get("declaration"), entry.get("status"), entry.get("at")
    if not isinstance(declaration, Mapping):
        return FeedProblem(source, "the entry has no declaration object")
    if status not in STATUSES:
        return FeedProblem(source, f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    if not isinstance(at, str):
        return FeedProblem(source, "the entry has no status time ('at', ISO 8601)")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return FeedProblem(source, f"status time {at!r} is not ISO 8601")
    if moment.tzinfo is None:
        return FeedProblem(source, f"status time {at!r} has no timezone")
    return FeedEvent(cursor, declaration, status, at, source)


class HttpFeed:
    """Polls a customs authority's JSON event endpoint; the cursor is the last event's sequence number."""

    def __init__(self, url: str, *, page_size: int = 100, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.name = f"http:{self.url}"
        self.page_size = page_size
        self._client = httpx.Client(timeout=timeout)

    def fetch(self, cursor: str | None) -> FeedPage:
        params = {"after": cursor or "0", "limit": str(self.page_size)}
        try:
            response = self._client.get(f"{self.url}/declarations/events", params=params)
        except httpx.HTTPError as exc:
            raise FeedUnavailable(f"{self.url}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise FeedUnavailable(f"{self.url}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise FeedUnavailable(f"{self.url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
            entries = list(body["events"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedUnavailable(f"{self.url}: the response is not a feed page ({exc})") from exc
        events: list[FeedEvent] = []
        problems: list[FeedProblem] = []
        last = cursor
        for entry in entries:
            seq = entry.get("seq") if isinstance(entry, Mapping) else None
            if not isinstance(seq, int) or seq <= int(last or 0):
                raise FeedUnavailable(f"{self.url}: event sequence numbers must increase (got {seq!r})")
            last = str(seq)
            item = event_from(entry, last, f"{self.url}#{seq}")
            if isinstance(item, FeedEvent):
                events.append(item)
            else:
                problems.append(item)
        return FeedPage(events, last, problems)

    def done(self, page: FeedPage) -> None:
        return None

    def close(self) -> None:
        self._client.close()


class InboxFeed:
    """Declaration files dropped into a folder by another system.

    A file holds ``{"declaration": {...}, "timeline": [{"status": ..., "at": ...}, ...]}``. Files
    are taken oldest first (by modification time, then name); the cursor is unused because a
    processed file leaves the folder. Another system should write a file under a temporary name
    (anything not ending in ``.json``) and rename it, so a half-written file is never read.
    """

    def __init__(self, folder: Path, *, page_size: int = 50) -> None:
        self.folder = folder
        self.name = f"inbox:{folder}"
        self.page_size = page_size
        for sub in ("done", "rejected"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def fetch(self, cursor: str | None) -> FeedPage:
        try:
            files = sorted(self.folder.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        except OSError as exc:
            raise FeedUnavailable(f"{self.folder}: {exc}") from exc
        events: list[FeedEvent] = []
        problems: list[FeedProblem] = []
        taken: list[Path] = []
        for path in files[: self.page_size]:
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
                missing = [
                    k for k in ("declaration", "timeline") if not isinstance(body, dict) or k not in body
                ]
                if missing:
                    raise ValueError(f"missing {', '.join(missing)}")
                timeline, declaration = body["timeline"], body["declaration"]
                if not isinstance(timeline, list) or not timeline:
                    raise ValueError("the timeline is empty")
            except FileNotFoundError:
                continue  # moved away by someone else meanwhile
            except (OSError, ValueError) as exc:
                reason = f"unreadable declaration file: {exc}"
                problems.append(FeedProblem(path.name, reason))
                self._reject(path, reason)
                continue
            items = [
                event_from({**step, "declaration": declaration}, path.name, path.name)
                if isinstance(step, Mapping)
                else FeedProblem(path.name, "a timeline entry is not an object")
                for step in timeline
            ]
            bad = [i for i in items if isinstance(i, FeedProblem)]
            if bad:
                problems.extend(bad)
                self._reject(path, "; ".join(p.reason for p in bad))
                continue
            events.extend(i for i in items if isinstance(i, FeedEvent))
            taken.append(path)
        return FeedPage(events, cursor, problems, taken)

    def done(self, page: FeedPage) -> None:
        for path in page.files:
            with contextlib.suppress(FileNotFoundError):  # moved away meanwhile
                os.replace(path, self.folder / "done" / path.name)

    def _reject(self, path: Path, reason: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, self.folder / "rejected" / path.name)
            (self.folder / "rejected" / f"{path.name}.error.txt").write_text(reason + "\n", encoding="utf-8")
