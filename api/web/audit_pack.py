"""An authorised organisation's audit pack, built by ``tradeledger audit export``'s code, as a zip download.

The pack is the folder ``export_pack`` writes, zipped under one top folder so that unzipping it gives
the folder ``tradeledger audit check`` takes. The period is two dates, both whole days in UTC.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from api.audit.service import Auditing
from chain.client import Chain
from chain.errors import InvalidInput
from tradeledger.audit.export import export_pack


@dataclass(frozen=True)
class BuiltPack:
    name: str  # the zip's top folder, and the file name without .zip
    data: bytes
    manifest: dict[str, Any]


def period(start: str, end: str) -> tuple[datetime, datetime]:
    """``[start 00:00, end 24:00)`` UTC from two ISO dates (``end`` is the last day in the period)."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InvalidInput("give the period as two dates, YYYY-MM-DD", code="invalid_period") from None
    if last < first:
        raise InvalidInput("the period ends before it starts", code="invalid_period")
    return datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)


def build_pack(chain: Chain, session: Session, audit: Auditing, org: str, start: str, end: str) -> BuiltPack:
    """The pack of ``org`` (404 unless it authorised the auditor) for the period, zipped."""
    party = audit.subject(org)  # notes the read in the access log
    moments = period(start, end)
    with tempfile.TemporaryDirectory(prefix="tradeledger-pack-") as folder:
        manifest = export_pack(chain, session, party.org_id, *moments, Path(folder) / "pack")
        slug = re.sub(r"[^a-z0-9]+", "-", manifest["organisation"]["name"].lower()).strip("-")
        name = f"audit-pack-{slug}-{start}-{end}"
        return BuiltPack(name, _zipped(Path(folder) / "pack", name), manifest)


def _zipped(folder: Path, top: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()
