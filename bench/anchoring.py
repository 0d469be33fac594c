"""Evidence anchoring: documents anchored per second and gas per record, batched under one Merkle root
against one transaction per record.

Measured: ``records`` document commitments put in an OpenZeppelin StandardMerkleTree, every record's
proof taken (what the platform stores so each record is verifiable), and the root anchored with
``DocumentRegistry.anchorBatch`` — records per second over the whole step, and gas per record.
Baseline: ``DocumentRegistry.anchor`` once per record (``singles`` of them), sent one at a time.
"""

from __future__ import annotations

import time

from eth_utils import keccak

from bench.core import Context, Figure, Result, Target, rate, scaled

NAME = "anchoring"
TITLE = "evidence anchoring: Merkle batch against one transaction per record"


def workload(scale: float) -> dict[str, object]:
    return {"records per batch": scaled(20_000, scale, 200), "batches": 3, "singles": scaled(100, scale, 10)}


def run(ctx: Context, scale: float) -> Result:
    from chain.client import org_key_name
    from chain.ids import org_id
    from chain.merkle import StandardMerkleTree
    from chain.trade_contracts import DocumentType

    load = workload(scale)
    result = Result(NAME, TITLE, load)
    records, batches, singles = (int(load[k]) for k in ("records per batch", "batches", "singles"))  # type: ignore[call-overload]
    documents = ctx.stack.chain.documents(org_key_name(org_id("shenzhen-precision")))
    tag = time.time_ns().to_bytes(8, "big")
    with ctx.status(f"baseline: {singles} documents, one transaction each"):
        gas_single, start = 0, time.perf_counter()
        for i in range(singles):
            _, receipt = documents.anchor(
                DocumentType.OTHER, f"BENCH-{tag.hex()}-{i}", keccak(tag + b"s" + i.to_bytes(4, "big"))
            )
            gas_single += receipt.gas_used
        single_rate = rate(singles, time.perf_counter() - start)
    per_single = gas_single / singles
    gas_batched, elapsed = 0, 0.0
    for b in range(batches):
        commitments = [[keccak(tag + b.to_bytes(2, "big") + i.to_bytes(4, "big"))] for i in range(records)]
        with ctx.status(f"batch {b + 1}/{batches}: {records} records"):
            start = time.perf_counter()
            tree = StandardMerkleTree.of(commitments, ["bytes32"])
            proofs = [tree.proof(i) for i in range(records)]
            receipt = documents.transact("anchorBatch", int(DocumentType.OTHER), tree.root, records)
            elapsed += time.perf_counter() - start
        assert len(proofs) == records
        gas_batched += receipt.gas_used
    per_record = gas_batched / (records * batches)
    result.add(
        Figure(
            "records anchored (tree, proofs, anchorBatch)",
            rate(records * batches, elapsed),
            "records/s",
            single_rate,
            "one tx per record",
            Target(">=", 10_000, text=">= 10,000 records/s"),
        )
    )
    result.add(
        Figure(
            "gas per record, batched",
            per_record,
            "gas",
            per_single,
            "one tx per record",
            Target("<=", 0.01, "ratio", ">= 100x less gas per record"),
        )
    )
    return result
