"""Emission statements on chain: the factor set registered, statements computed from anchored
readings and submitted by their organisation, and verified by a carbon verifier who recomputes them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.carbon.emissions import FactorSet, ReadingInput, Statement, compute
from api.carbon.models import ReadingBatchRow, ReadingRow
from api.runtime import signing_key
from chain.client import OPERATOR, Chain
from chain.errors import ChainRevert, Conflict


def ensure_factor_set(chain: Chain, factors: FactorSet) -> bool:
    """Register the factor set's file hash on chain (as the operator) unless it is there.

    True if it was new."""
    if chain.carbon().call("factorSetRegistered", factors.digest):
        return False
    chain.carbon(OPERATOR).register_factor_set(
        factors.digest, factors.version, f"tradeledger-factors-{factors.version}.json"
    )
    return True


def anchored_inputs(session: Session, org: str, period: tuple[int, int]) -> list[ReadingInput]:
    """The organisation's readings in ``period`` that sit in anchored batches."""
    anchored = select(ReadingBatchRow.root).where(ReadingBatchRow.status == "anchored")
    rows = session.exec(
        select(ReadingRow).where(
            ReadingRow.owner == org,
            col(ReadingRow.batch_root).in_(anchored),
            col(ReadingRow.timestamp) >= period[0],
            col(ReadingRow.timestamp) <= period[1],
        )
    )
    return [
        ReadingInput(r.metric, int(r.value_milli), r.binding, int(r.timestamp), str(r.batch_root))
        for r in rows
    ]


def submit_statement(
    chain: Chain,
    session: Session,
    org: str,
    factors: FactorSet,
    *,
    scope: int,
    period: tuple[int, int],
    region: str,
    subject: str,
) -> tuple[bytes, Statement]:
    statement = compute(
        anchored_inputs(session, org, period),
        factors,
        scope=scope,
        period=period,
        region=region,
        subject=subject,
    )
    if not statement.batches:
        raise Conflict("no anchored readings in that period and scope; nothing to state", code="no_readings")
    ensure_factor_set(chain, factors)
    statement_id, _ = chain.carbon(signing_key(chain, org)).submit_statement(
        scope,
        period,
        bytes.fromhex(subject[2:]),
        statement.grams,
        factors.digest,
        [bytes.fromhex(b[2:]) for b in statement.batches],
        statement.result_hash(),
    )
    return statement_id, statement


def verify_statement(
    chain: Chain, session: Session, verifier: str, statement_id: bytes, factors: FactorSet, region: str
) -> Statement:
    """Recompute the statement from the anchored readings; verify it on chain only if it matches exactly."""
    on_chain = chain.carbon().call("statement", statement_id)
    org, scope, _status, start, end, grams, subject, factor_set, result_hash = (
        "0x" + bytes(on_chain[0]).hex(),
        int(on_chain[1]),
        on_chain[2],
        int(on_chain[3]),
        int(on_chain[4]),
        int(on_chain[5]),
        "0x" + bytes(on_chain[6]).hex(),
        bytes(on_chain[7]),
        bytes(on_chain[8]),
    )
    if factor_set != factors.digest:
        raise Conflict("the statement cites another factor set than this one", code="factor_set_mismatch")
    recomputed = compute(
        anchored_inputs(session, org, (start, end)),
        factors,
        scope=scope,
        period=(start, end),
        region=region,
        subject=subject,
    )
    if recomputed.grams != grams or recomputed.result_hash() != result_hash:
        raise Conflict(
            f"recomputed {recomputed.grams} g from the anchored readings, the statement says {grams} g; "
            "not verified",
            code="statement_mismatch",
        )
    try:
        chain.carbon(signing_key(chain, verifier)).verify_statement(statement_id)
    except ChainRevert as exc:
        if exc.error != "CarbonStatementNotSubmitted":
            raise
    return recomputed
