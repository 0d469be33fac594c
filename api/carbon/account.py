"""``/api/v1/carbon``: emission statements (submit, verify), the carbon account, credits (issue, retire)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from eth_utils import keccak
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from api.auth.deps import CallerDep
from api.auth.service import Caller
from api.carbon.emissions import ZERO, load_factor_set
from api.carbon.models import StatementRow
from api.carbon.service import order_subject, shipment_subject, submit_statement, verify_statement
from api.db import SessionDep
from api.idempotency import WriteDep
from api.participants.service import ParticipantsService
from api.runtime import chain_and_indexer, signing_key
from api.service_base import ChainService
from chain.errors import Forbidden, NotFound
from chain.ids import from_hex32
from chain.index_models import ChainEventRow

router = APIRouter(prefix="/api/v1/carbon", tags=["carbon"])
HEX32 = r"^0x[0-9a-fA-F]{64}$"
Hex32 = Annotated[str, Field(pattern=HEX32)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatementIn(_Body):
    scope: int = Field(
        ge=1,
        le=3,
        description="1: combustion (gas, diesel, truck fuel); 2: electricity; 3: freight (shipment or order)",
    )
    period_start: AwareDatetime
    period_end: AwareDatetime
    region: str = Field(
        default="CN", min_length=2, max_length=8, description="grid region of the electricity factor"
    )
    subject: str | None = Field(
        default=None, description="scope 1 and 2: a facility or shipment label, to state it alone"
    )
    shipment: str | None = Field(
        default=None, min_length=1, max_length=64, description="scope 3: a shipment's bill of lading number"
    )
    order: Hex32 | None = Field(default=None, description="scope 3: an order id; its shipments are summed")

    @model_validator(mode="after")
    def _scope_subject(self) -> StatementIn:
        if self.scope == 3:
            if (self.shipment is None) == (self.order is None):
                raise ValueError("a scope 3 statement names one shipment (bl_number) or one order (order id)")
            if self.subject is not None:
                raise ValueError("a scope 3 statement names a shipment or an order, not a subject")
        elif self.shipment is not None or self.order is not None:
            raise ValueError("shipment and order name the subject of scope 3 statements only")
        return self


class VerifyIn(_Body):
    region: str = Field(default="CN", min_length=2, max_length=8)


class CreditsIn(_Body):
    project: str = Field(
        min_length=1, max_length=128, description="project label; its keccak256 is the project id"
    )
    vintage: int = Field(ge=2000, le=2100)
    to: Hex32 = Field(description="the organisation receiving the credits")
    kg: int = Field(gt=0, description="credits, in kg CO2e; at most the verified reduction")
    statement: Hex32 = Field(description="the verified statement the reduction is shown by")
    baseline: Hex32 = Field(
        description="the verified baseline: same organisation, scope, subject and period length, earlier"
    )


class RetireIn(_Body):
    kg: int = Field(gt=0)
    beneficiary: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=256)


class StatementOut(BaseModel):
    id: str
    org: str
    scope: int
    grams_co2: int
    factor_set: str
    batches: list[str]
    status: str
    verifier: str | None
    computation: dict[str, Any] | None = Field(
        default=None,
        description="on submit and verify: the computation whose keccak256 is the statement's result hash "
        "(engine, per-metric grams, readings, batches, factor set; per shipment for scope 3)",
    )


class CreditHolding(BaseModel):
    token_id: str
    kg: int


class AccountOut(BaseModel):
    organisation: str
    statements: list[StatementOut]
    credits: list[CreditHolding]
    retired_kg: int


class TxOnly(BaseModel):
    tx_hash: str
    block_number: int
    token_id: str | None = None


def statement_out(row: StatementRow) -> StatementOut:
    return StatementOut(
        id=row.statement_id,
        org=row.org,
        scope=row.scope,
        grams_co2=int(row.grams),
        factor_set=row.factor_set,
        batches=json.loads(row.batches),
        status=row.status,
        verifier=row.verifier,
    )


def _statement(session: Session, caller: Caller, statement_id: str) -> StatementRow:
    row = session.get(StatementRow, statement_id.lower())
    if row is None or (row.org != caller.org_id and caller.role != "carbon_verifier"):
        raise NotFound(f"no statement {statement_id} visible to you", code="statement_not_found")
    return row


@router.post("/statements", status_code=201, response_model=StatementOut)
def submit(body: StatementIn, write: WriteDep) -> JSONResponse:
    """Compute emissions for a scope and period from anchored readings and state them on chain.

    Scopes 1 and 2: your own devices' readings. Scope 3: the freight of a ``shipment`` (bill of lading
    number) or an ``order`` (its shipments summed) you are a party of, from every anchored reading bound
    to the shipments (measured fuel first, then distance x gross weight x the mode's default intensity).
    """

    def run() -> StatementOut:
        chain, indexer = chain_and_indexer(write.request)
        factors = load_factor_set()
        org, session = write.caller.org_id, write.session
        freight = None
        if body.shipment is not None:
            freight = shipment_subject(session, org, body.shipment)
        elif body.order is not None:
            freight = order_subject(session, org, body.order.lower())
        subject = "0x" + keccak(text=body.subject).hex() if body.subject else ZERO
        period = (int(body.period_start.timestamp()), int(body.period_end.timestamp()))
        statement_id, statement = submit_statement(
            chain,
            session,
            org,
            factors,
            scope=body.scope,
            period=period,
            region=body.region,
            subject=freight.subject if freight else subject,
            freight=freight,
        )
        indexer.sync()
        out = statement_out(_statement(write.session, write.caller, "0x" + statement_id.hex()))
        return out.model_copy(update={"computation": json.loads(statement.canonical())})

    return write.once(body, 201, run)


@router.get("/statements", response_model=list[StatementOut])
def statements(caller: CallerDep, session: SessionDep) -> list[StatementOut]:
    """Your statements; carbon verifiers see every statement."""
    query = select(StatementRow).order_by(col(StatementRow.submitted_block))
    if caller.role != "carbon_verifier":
        query = query.where(StatementRow.org == caller.org_id)
    return [statement_out(row) for row in session.exec(query)]


@router.post("/statements/{statement_id}/verify", response_model=StatementOut)
def verify(statement_id: str, body: VerifyIn, write: WriteDep) -> JSONResponse:
    """A carbon verifier recomputes the statement from the anchored readings (scope 3: and the shipment
    documents) with the factor set it cites; verified only if it matches exactly."""
    if write.caller.role != "carbon_verifier":
        raise Forbidden("only carbon verifiers verify statements", code="role_required")

    def run() -> StatementOut:
        chain, indexer = chain_and_indexer(write.request)
        row = _statement(write.session, write.caller, statement_id)
        recomputed = verify_statement(
            chain,
            write.session,
            write.caller.org_id,
            from_hex32(row.statement_id),
            load_factor_set(),
            body.region,
        )
        indexer.sync()
        write.session.expire_all()
        out = statement_out(_statement(write.session, write.caller, statement_id))
        return out.model_copy(update={"computation": json.loads(recomputed.canonical())})

    return write.once(body, 200, run)


@router.post("/credits", status_code=201, response_model=TxOnly)
def issue(body: CreditsIn, write: WriteDep) -> JSONResponse:
    """A carbon verifier issues credits for a verified reduction against a baseline (once per statement)."""
    if write.caller.role != "carbon_verifier":
        raise Forbidden("only carbon verifiers issue credits", code="role_required")

    def run() -> TxOnly:
        chain, _ = chain_and_indexer(write.request)
        account = ParticipantsService(write.session).primary_account(body.to.lower())
        token, receipt = chain.credits(signing_key(chain, write.caller.org_id)).issue_credits(
            keccak(text=body.project),
            body.vintage,
            account,
            body.kg,
            from_hex32(body.statement.lower()),
            from_hex32(body.baseline.lower()),
        )
        write.service(ChainService).settle(receipt)
        return TxOnly(tx_hash=receipt.tx_hash, block_number=receipt.block_number, token_id=f"0x{token:064x}")

    return write.once(body, 201, run)


@router.post("/credits/{token_id}/retire", response_model=TxOnly)
def retire(token_id: Annotated[str, Path(pattern=HEX32)], body: RetireIn, write: WriteDep) -> JSONResponse:
    """Retire your credits for good, naming the beneficiary and the reason."""

    def run() -> TxOnly:
        chain, _ = chain_and_indexer(write.request)
        receipt = chain.credits(signing_key(chain, write.caller.org_id)).retire(
            int(token_id, 16), body.kg, body.beneficiary, body.reason
        )
        write.service(ChainService).settle(receipt)
        return TxOnly(tx_hash=receipt.tx_hash, block_number=receipt.block_number, token_id=token_id)

    return write.once(body, 200, run)


@router.get("/account", response_model=AccountOut)
def account(caller: CallerDep, session: SessionDep, request: Request) -> AccountOut:
    """Your statements, credit holdings and retired credits."""
    chain, _ = chain_and_indexer(request)
    mine = [
        statement_out(r) for r in session.exec(select(StatementRow).where(StatementRow.org == caller.org_id))
    ]
    issued = session.exec(select(ChainEventRow).where(ChainEventRow.name == "CreditsIssued"))
    tokens = sorted({int(json.loads(e.args)["tokenId"]) for e in issued})
    holder = ParticipantsService(session).primary_account(caller.org_id)
    holdings = [
        CreditHolding(token_id=f"0x{t:064x}", kg=chain.credits().balance_of(holder, t)) for t in tokens
    ]
    retirements = session.exec(
        select(ChainEventRow).where(
            ChainEventRow.name == "CreditsRetired", col(ChainEventRow.args).contains(caller.org_id)
        )
    )
    retired = sum(
        int(json.loads(e.args)["kg"]) for e in retirements if json.loads(e.args)["holder"] == caller.org_id
    )
    return AccountOut(
        organisation=caller.org_id, statements=mine, credits=[h for h in holdings if h.kg], retired_kg=retired
    )
