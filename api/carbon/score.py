"""``/api/v1/carbon/scores``: an organisation's verified carbon score, the basis of green financing.

The score is the verified reduction of an organisation's emissions against a comparable verified
baseline statement, in basis points of the baseline, computed on chain by CarbonLedger when a
carbon verifier sets it, and valid for a year after the current statement's period. Financiers
read it to price green terms; the Financing contract reads it at acceptance.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth.deps import CallerDep
from api.auth.service import Caller
from api.idempotency import WriteDep
from api.participants.schemas import TxOut
from api.participants.service import normalise_org_id
from api.runtime import chain_and_indexer, signing_key
from api.service_base import ChainService
from chain.client import Chain
from chain.errors import Forbidden, NotFound
from chain.ids import from_hex32, to_hex32

router = APIRouter(prefix="/api/v1/carbon/scores", tags=["carbon"])


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the verified current statement")
    baseline: str = Field(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="the verified baseline: same organisation, scope, subject and period length, earlier",
    )


class ScoreOut(BaseModel):
    organisation: str
    reduction_bps: int = Field(description="verified reduction against the baseline, in bps of the baseline")
    valid_until: datetime | None = Field(description="ISO 8601; none when the organisation has no score")
    valid: bool
    current: str | None
    baseline: str | None
    tx: TxOut | None = None


def _score(chain: Chain, org: str) -> ScoreOut:
    view = chain.carbon().carbon_score(from_hex32(org))
    if view.valid_until == 0:
        return ScoreOut(
            organisation=org, reduction_bps=0, valid_until=None, valid=False, current=None, baseline=None
        )
    until = datetime.fromtimestamp(view.valid_until, UTC)
    return ScoreOut(
        organisation=org,
        reduction_bps=view.reduction_bps,
        valid_until=until,
        valid=until >= datetime.now(UTC),
        current=to_hex32(view.current),
        baseline=to_hex32(view.baseline),
    )


def _may_read(caller: Caller, org: str) -> bool:
    """Its own organisation, carbon verifiers, and financiers (who price green terms on it)."""
    return caller.org_id == org or caller.role in ("carbon_verifier", "financier")


@router.post("", response_model=ScoreOut)
def set_score(body: ScoreIn, write: WriteDep) -> JSONResponse:
    """A carbon verifier sets an organisation's score from two of its verified statements."""
    if write.caller.role != "carbon_verifier":
        raise Forbidden("only carbon verifiers set carbon scores", code="role_required")

    def run() -> ScoreOut:
        chain, _ = chain_and_indexer(write.request)
        current = from_hex32(body.current.lower())
        receipt = chain.carbon(signing_key(chain, write.caller.org_id)).set_carbon_score(
            current, from_hex32(body.baseline.lower())
        )
        write.service(ChainService).settle(receipt)
        org = chain.carbon().events(receipt, "CarbonScoreSet")[0].args["org"]
        return _score(chain, str(org)).model_copy(update={"tx": TxOut.of(receipt)})

    return write.once(body, 200, run)


@router.get("/{org}", response_model=ScoreOut)
def score(org: str, caller: CallerDep, request: Request) -> ScoreOut:
    """An organisation's carbon score: your own; financiers and carbon verifiers see any member's."""
    org = normalise_org_id(org)
    if not _may_read(caller, org):
        raise NotFound(f"no carbon score of {org} visible to you", code="score_not_found")
    chain, _ = chain_and_indexer(request)
    return _score(chain, org)
