"""Financing of receivables (request, offer, accept with DvP, risk review), repayment, tokenized cash."""

from __future__ import annotations

from sqlmodel import col, or_, select

from api.auth.service import Caller
from api.db import Page
from api.financing.models import FinancingRow, OfferRow
from api.financing.schemas import (
    BalanceOut,
    CollateralOut,
    FinancingOut,
    GreenTermsIn,
    OfferIn,
    OfferOut,
    PledgeIn,
)
from api.participants.models import Organisation
from api.participants.schemas import TxOut
from api.participants.service import ParticipantsService
from api.receivables.schemas import ReceivableOut
from api.receivables.service import ReceivablesService
from api.runtime import signing_key
from api.service_base import ChainService
from chain.client import Chain
from chain.currencies import currency_code
from chain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chain.ids import from_hex32
from chain.sender import Receipt


class FinancingService(ChainService):
    # --- reads --------------------------------------------------------------------------------

    def visible(self, caller: Caller, financing_id: str) -> FinancingRow:
        row = self.session.get(FinancingRow, financing_id.lower())
        offered = (
            row is not None and self.session.get(OfferRow, (row.financing_id, caller.org_id)) is not None
        )
        if row is None or not (
            caller.org_id in (row.holder, row.financier)
            or offered
            or (caller.role == "financier" and row.status == "requested")
        ):
            raise NotFound(f"no financing {financing_id} visible to you", code="financing_not_found")
        return row

    def for_caller(self, caller: Caller, page: Page | None = None) -> list[FinancingRow]:
        """The caller's financings as holder or financier (financiers: also every open request), oldest
        first; only ``page`` of them when given (paged in SQL)."""
        clauses = [FinancingRow.holder == caller.org_id, FinancingRow.financier == caller.org_id]
        if caller.role == "financier":
            clauses.append(FinancingRow.status == "requested")
        query = (
            select(FinancingRow)
            .where(or_(*clauses))
            .order_by(col(FinancingRow.requested_block), col(FinancingRow.financing_id))
        )
        return list(self.session.exec(page.query(query) if page else query))

    def out(self, row: FinancingRow, caller: Caller, receipt: Receipt | None = None) -> FinancingOut:
        out = self.outs([row], caller)[0]
        out.tx = TxOut.of(receipt) if receipt else None
        return out

    def outs(self, rows: list[FinancingRow], caller: Caller) -> list[FinancingOut]:
        """``rows`` as ``caller`` sees them, their offers read in one query for the page."""
        offers: dict[str, list[OfferRow]] = {row.financing_id: [] for row in rows}
        query = (
            select(OfferRow)
            .where(col(OfferRow.financing_id).in_(offers))
            .order_by(col(OfferRow.offered_block), col(OfferRow.financier))
        )
        for offer in self.session.exec(query) if rows else ():
            offers[offer.financing_id].append(offer)
        return [self._out(row, caller, offers[row.financing_id]) for row in rows]

    @staticmethod
    def _out(row: FinancingRow, caller: Caller, offers: list[OfferRow]) -> FinancingOut:
        shown = [
            o for o in offers if caller.org_id in (row.holder, o.financier)
        ]  # offers are private to the two
        return FinancingOut(
            id=row.financing_id,
            receivable_id=row.receivable_id,
            holder=row.holder,
            min_advance_minor=row.min_advance,
            status=row.status,
            financier=row.financier,
            advance_minor=row.advance,
            discount_bps=row.discount_bps,
            green=row.green,
            collateral=CollateralOut(
                token_id=row.collateral_token, kg=row.collateral_kg or 0, status=row.collateral_status or ""
            )
            if row.collateral_token
            else None,
            offers=[
                OfferOut(
                    financier=o.financier,
                    advance_minor=o.advance,
                    discount_bps=o.discount_bps,
                    tenor_days=o.tenor_days,
                    recourse=o.recourse,
                    green=GreenTermsIn(
                        advance_minor=o.green_advance,
                        discount_bps=o.green_discount_bps or 0,
                        min_score_bps=o.green_min_score_bps or 0,
                    )
                    if o.green_advance
                    else None,
                )
                for o in shown
            ],
            tx=None,
        )

    # --- writes -------------------------------------------------------------------------------

    @staticmethod
    def _allow_financing(chain: Chain, key: str, amount: int) -> None:
        """Let the Financing contract move this key's tokens (the cash legs)."""
        chain.settlement_token(key).ensure_allowance(chain.require_manifest().address("Financing"), amount)

    def request(self, caller: Caller, receivable_id: str, min_advance: int) -> FinancingOut:
        chain, _ = self._wired()
        row = ReceivablesService(self.session).visible(caller, receivable_id)
        if caller.org_id != row.holder:
            raise Forbidden("only the holder of a receivable requests its financing", code="not_holder")
        fid, receipt = chain.financing(signing_key(chain, caller.org_id)).request(
            int(row.receivable_id, 16), min_advance
        )
        self.settle(receipt)
        return self.out(self._get("0x" + fid.hex()), caller, receipt)

    def offer(self, caller: Caller, financing_id: str, body: OfferIn) -> FinancingOut:
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        if caller.role != "financier":
            raise Forbidden("only financiers make offers", code="role_required")
        key = signing_key(chain, caller.org_id)
        receipt = chain.financing(key).offer(
            from_hex32(row.financing_id),
            body.advance_minor,
            body.discount_bps,
            body.tenor_days,
            recourse=body.recourse,
        )
        if body.green is not None:  # checked like the contract does (OfferIn), so this rarely fails alone
            receipt = chain.financing(key).offer_green_terms(
                from_hex32(row.financing_id),
                body.green.advance_minor,
                body.green.discount_bps,
                body.green.min_score_bps,
            )
        advance = max(body.advance_minor, body.green.advance_minor if body.green else 0)
        self._allow_financing(chain, key, advance)  # the cash leg, should the holder accept
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    # --- carbon credits as collateral ------------------------------------------------------------

    def pledge(self, caller: Caller, financing_id: str, body: PledgeIn) -> FinancingOut:
        """The holder locks carbon credits as collateral while the financing is live."""
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        if caller.org_id != row.holder:
            raise Forbidden("only the holder pledges collateral for its financing", code="not_holder")
        receipt = chain.credits(signing_key(chain, caller.org_id)).pledge(
            from_hex32(row.financing_id), int(body.token_id, 16), body.kg
        )
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def release(self, caller: Caller, financing_id: str) -> FinancingOut:
        """A party unlocks the collateral once the financing is repaid or cancelled."""
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        receipt = chain.credits(signing_key(chain, caller.org_id)).release(from_hex32(row.financing_id))
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def seize(self, caller: Caller, financing_id: str) -> FinancingOut:
        """The financier takes the pledged credits after claiming recourse."""
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        if caller.org_id != row.financier:
            raise Forbidden("only the financier of a financing seizes its collateral", code="not_financier")
        receipt = chain.credits(signing_key(chain, caller.org_id)).seize(from_hex32(row.financing_id))
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def accept(self, caller: Caller, financing_id: str, financier: str) -> FinancingOut:
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        if caller.org_id != row.holder:
            raise Forbidden("only the holder accepts an offer", code="not_holder")
        receipt = chain.financing(signing_key(chain, caller.org_id)).accept(
            from_hex32(row.financing_id), from_hex32(financier.lower())
        )
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def approve_review(self, caller: Caller, financing_id: str) -> FinancingOut:
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        receipt = chain.financing(signing_key(chain, caller.org_id)).approve_review(
            from_hex32(row.financing_id)
        )
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def repay(self, caller: Caller, receivable_id: str, amount: int) -> ReceivableOut:
        chain, _ = self._wired()
        receivables = ReceivablesService(self.session)
        row = receivables.visible(caller, receivable_id)
        if caller.org_id != row.debtor:
            raise Forbidden("only the debtor repays a receivable", code="not_debtor")
        key = signing_key(chain, caller.org_id)
        on_chain = chain.receivables().receivable(int(row.receivable_id, 16))
        outstanding = on_chain.face_value - on_chain.repaid
        if amount > outstanding:  # refused before the allowance is touched: a refusal writes nothing
            raise Conflict(
                f"{amount} is more than the {outstanding} outstanding on receivable {row.receivable_id}",
                code="receivable_over_repaid",
                amount=amount,
                outstanding=outstanding,
            )
        self._allow_financing(chain, key, amount)
        receipt = chain.financing(key).repay(int(row.receivable_id, 16), amount)
        self.settle(receipt)
        return receivables.out(receivables.visible(caller, receivable_id), caller, receipt)

    def mark_overdue(self, caller: Caller, receivable_id: str) -> ReceivableOut:
        """Any party marks a confirmed, unpaid receivable overdue once its due date has passed."""
        chain, _ = self._wired()
        receivables = ReceivablesService(self.session)
        row = receivables.visible(caller, receivable_id)
        receipt = chain.receivables(signing_key(chain, caller.org_id)).mark_overdue(
            int(row.receivable_id, 16)
        )
        self.settle(receipt)
        return receivables.out(receivables.visible(caller, receivable_id), caller, receipt)

    def claim_recourse(self, caller: Caller, financing_id: str) -> FinancingOut:
        """The financier records its recourse claim against the holder of an overdue receivable."""
        chain, _ = self._wired()
        row = self.visible(caller, financing_id)
        if caller.org_id != row.financier:
            raise Forbidden("only the financier of a financing claims recourse", code="not_financier")
        receipt = chain.financing(signing_key(chain, caller.org_id)).claim_recourse(
            from_hex32(row.financing_id)
        )
        self.settle(receipt)
        return self.out(self._get(row.financing_id), caller, receipt)

    def pause(self, caller: Caller) -> bool:
        """The operator pauses the financing programme (circuit breaker); unpausing needs dual control."""
        chain, _ = self._wired()
        if not caller.is_operator:
            raise Forbidden(
                "only the consortium operator pauses the financing programme", code="role_required"
            )
        receipt = chain.financing(signing_key(chain, caller.org_id)).transact("pause")
        self.settle(receipt)
        return bool(chain.financing().call("paused"))

    def deposit(self, caller: Caller, to: str, amount: int) -> BalanceOut:
        """A bank tokenizes a deposit of ``to`` (SettlementToken minted to its first account)."""
        chain, _ = self._wired()
        if caller.role != "financier":
            raise Forbidden("only banks (financiers) tokenize deposits", code="role_required")
        org = self.session.get(Organisation, to.lower())
        if org is None or org.status != "active":
            raise InvalidInput(f"{to} is not an active member organisation", code="invalid_receiver")
        receipt = chain.settlement_token(signing_key(chain, caller.org_id)).mint(
            ParticipantsService(self.session).primary_account(org.org_id), amount
        )
        self.settle(receipt)
        balance = self.balance(org.org_id)
        return balance.model_copy(update={"tx": TxOut.of(receipt)})

    def balance(self, org: str) -> BalanceOut:
        chain, _ = self._wired()
        token = chain.settlement_token()
        return BalanceOut(
            organisation=org,
            currency=currency_code(bytes(token.call("currency"))),
            balance_minor=token.balance_of(ParticipantsService(self.session).primary_account(org)),
        )

    def _get(self, financing_id: str) -> FinancingRow:
        row = self.session.get(FinancingRow, financing_id)
        if row is None:
            raise NotFound(f"no financing {financing_id}", code="financing_not_found")
        return row
