"""``/api/v1/devices``, ``/api/v1/readings``, ``/api/v1/iot``: devices, readings with proofs, batches."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.auth.deps import CallerDep
from api.carbon.models import DeviceRow, IngestCounter, ReadingBatchRow, ReadingRow, leaf_value
from api.db import RowId, SessionDep
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["carbon"])


class DeviceOut(BaseModel):
    id: str
    kind: str
    status: str
    signer: str
    key_generation: int
    binding: str


class ReadingOut(BaseModel):
    id: int
    device_id: str
    sequence: int
    timestamp: int
    metric: str
    value: str = Field(description="decimal, in the unit")
    unit: str
    binding: str
    signer: str
    batch_root: str | None
    anchored: bool


class ProofOut(BaseModel):
    reading: ReadingOut
    signature: str = Field(description="the device's EIP-712 signature of the reading (r, s, v), 0x-hex")
    root: str
    proof: list[str]
    leaf_encoding: list[str]
    leaf: list[Any]
    anchored_tx: str | None
    verify: str = Field(description="how to check it without trusting this API")


class BatchOut(BaseModel):
    root: str
    count: int
    period_start: int
    period_end: int
    status: str
    tx_hash: str | None


def reading_out(row: ReadingRow, anchored: set[str]) -> ReadingOut:
    assert row.id is not None
    return ReadingOut(
        id=row.id,
        device_id=row.device_id,
        sequence=int(row.sequence),
        timestamp=int(row.timestamp),
        metric=row.metric,
        value=_milli(int(row.value_milli)),
        unit=row.unit,
        binding=row.binding,
        signer=row.signer,
        batch_root=row.batch_root,
        anchored=row.batch_root in anchored,
    )


def _milli(value: int) -> str:
    sign, value = ("-" if value < 0 else ""), abs(value)
    return f"{sign}{value // 1000}.{value % 1000:03d}"


def anchored_roots(session: SessionDep, rows: list[ReadingRow]) -> set[str]:
    """Which of these readings' batches are anchored."""
    roots = {r.batch_root for r in rows if r.batch_root}
    query = select(ReadingBatchRow.root).where(
        col(ReadingBatchRow.root).in_(roots), ReadingBatchRow.status == "anchored"
    )
    return set(session.exec(query))


@router.get("/devices", response_model=list[DeviceOut])
def devices(caller: CallerDep, session: SessionDep) -> list[DeviceOut]:
    """Your organisation's devices."""
    rows = session.exec(
        select(DeviceRow).where(DeviceRow.owner == caller.org_id).order_by(col(DeviceRow.registered_block))
    )
    return [
        DeviceOut(
            id=r.device_id,
            kind=r.kind,
            status=r.status,
            signer=r.signer,
            key_generation=r.generation,
            binding=r.binding,
        )
        for r in rows
    ]


@router.get("/readings", response_model=list[ReadingOut])
def readings(
    caller: CallerDep,
    session: SessionDep,
    device: Annotated[str | None, Query(description="one device's readings")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReadingOut]:
    """Your devices' accepted readings, newest first."""
    query = select(ReadingRow).where(ReadingRow.owner == caller.org_id)
    if device:
        query = query.where(ReadingRow.device_id == device.lower())
    rows = list(session.exec(query.order_by(col(ReadingRow.id).desc()).limit(limit)))
    anchored = anchored_roots(session, rows)
    return [reading_out(r, anchored) for r in rows]


@router.get("/readings/{reading_id}/proof", response_model=ProofOut)
def proof(reading_id: RowId, caller: CallerDep, session: SessionDep) -> ProofOut:
    """A reading with its Merkle proof and batch root, to verify on chain with CarbonLedger.verifyReading."""
    row = session.get(ReadingRow, reading_id)
    if row is None or row.owner != caller.org_id:
        raise NotFound(f"no reading {reading_id} of yours", code="reading_not_found")
    if row.batch_root is None:
        raise NotFound(
            f"reading {reading_id} is not in a batch yet; try again in a few seconds", code="not_batched"
        )
    batch = session.get(ReadingBatchRow, row.batch_root)
    leaf = ["0x" + v.hex() if isinstance(v, bytes) else v for v in leaf_value(row)]
    return ProofOut(
        reading=reading_out(row, anchored_roots(session, [row])),
        signature=row.signature,
        root=row.batch_root,
        proof=json.loads(row.proof or "[]"),
        leaf_encoding=list(READING_LEAF_TYPES),
        leaf=leaf,
        anchored_tx=batch.tx_hash if batch else None,
        verify="CarbonLedger.verifyReading(root, proof, ...leaf) on chain, or StandardMerkleTree.verify "
        "(@openzeppelin/merkle-tree) with leaf_encoding; `tradeledger verify <this JSON saved to a file>` "
        "checks both and the device's signature",
    )


@router.get("/iot/batches", response_model=list[BatchOut])
def batches(
    caller: CallerDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[BatchOut]:
    """Anchored reading batches (roots are public on chain)."""
    rows = session.exec(select(ReadingBatchRow).order_by(col(ReadingBatchRow.created_at).desc()).limit(limit))
    return [
        BatchOut(
            root=b.root,
            count=b.count,
            period_start=b.period_start,
            period_end=b.period_end,
            status=b.status,
            tx_hash=b.tx_hash,
        )
        for b in rows
    ]


@router.get("/iot/ingestion", response_model=dict[str, int])
def ingestion(caller: CallerDep, session: SessionDep) -> dict[str, int]:
    """Readings accepted, rejected per reason, and sequence gaps seen by the IoT oracles."""
    return {c.name: c.count for c in session.exec(select(IngestCounter))}
