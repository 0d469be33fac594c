"""Documentary credits (UCP 600) over the LettersOfCredit contract, tenant-scoped.

Index choice: no projection. The documents behind the on-chain hashes (full terms, amendments,
presented documents, examination reports) live in ``api/credit/models.py``, written by this service
once the transaction committing to them has succeeded; every status (credit, amendment,
presentation), ``drawn``, ``available`` and a deferred payment's receivable are read from the
contract's views when answering, so reads never lag the chain (and need a connected chain).

Only the credit's parties (applicant, issuing bank, advising bank, beneficiary) see a credit or its
presentations; anyone else gets 404, whether it exists or not. Each step is checked for its party
here first (403 with a ``not_…`` code, before any transaction); the contract checks it again.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from eth_utils import keccak
from sqlmodel import col, or_, select

from api.auth.service import Caller
from api.credit.examination import CreditTerms, ExaminationReport, Presentation, examine
from api.credit.models import AmendmentRow, CreditRow, PresentationRow
from api.credit.schemas import (
    AmendmentIn,
    AmendmentOut,
    CreditIn,
    CreditOut,
    PresentationDetailOut,
    PresentationIn,
    PresentationOut,
)
from api.participants.models import Organisation
from api.participants.schemas import TxOut
from api.receivables.projection import receivable_hex
from api.runtime import signing_key
from api.service_base import ChainService
from api.trade.documents import canonical_json
from chain.client import Chain
from chain.credit_contracts import CreditTermsOnChain, Payment, PresentationStatus
from chain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chain.ids import from_hex32, number_hash, to_hex32
from chain.sender import Receipt

ABOUT_BPS = 1000  # "about" the amount: +/-10 % (UCP 600 Art. 30(a))
END_OF_DAY = time(23, 59, 59, tzinfo=UTC)


def digest(document: Any) -> str:
    """keccak256 of the canonical JSON of ``document``, as 0x + 64 hex."""
    return "0x" + keccak(canonical_json(document)).hex()


def end_of_day(day: date) -> int:
    """Unix seconds of the last second of ``day`` in UTC (how dates of the terms go on chain)."""
    return int(datetime.combine(day, END_OF_DAY).timestamp())


def on_chain_terms(document: dict[str, Any]) -> CreditTermsOnChain:
    """The operative terms the contract keeps, from the full terms document (and its hash)."""
    terms = CreditTerms.model_validate(document["credit_terms"])
    if terms.amount_tolerance_pct is not None:
        tolerance = int(terms.amount_tolerance_pct * 100)
    else:
        tolerance = ABOUT_BPS if terms.about_amount else 0
    return CreditTermsOnChain(
        amount=terms.amount,
        tolerance_bps=tolerance,
        expiry=end_of_day(terms.expiry_date),
        latest_shipment=end_of_day(terms.latest_shipment_date),
        presentation_days=terms.presentation_period_days,
        partial_shipments=terms.partial_shipments_allowed,
        transshipment=terms.transshipment_allowed,
        payment=Payment.DEFERRED if document["payment"] == "deferred" else Payment.SIGHT,
        deferred_days=int(document["deferred_days"]),
        terms_hash=from_hex32(digest(document)),
    )


class CreditService(ChainService):
    # --- reads --------------------------------------------------------------------------------

    def visible(self, caller: Caller, credit_id: str) -> CreditRow:
        row = self.session.get(CreditRow, credit_id.lower())
        if row is None or caller.org_id not in self._parties(row):
            raise NotFound(
                f"no letter of credit {credit_id} of yours; list them with GET /api/v1/letters-of-credit",
                code="credit_not_found",
            )
        return row

    def visible_presentation(self, caller: Caller, presentation_id: str) -> tuple[CreditRow, PresentationRow]:
        row = self.session.get(PresentationRow, presentation_id.lower())
        credit = self.session.get(CreditRow, row.credit_id) if row is not None else None
        if row is None or credit is None or caller.org_id not in self._parties(credit):
            raise NotFound(
                f"no presentation {presentation_id} under a credit of yours", code="presentation_not_found"
            )
        return credit, row

    @staticmethod
    def _parties(row: CreditRow) -> tuple[str, str, str, str]:
        return row.applicant, row.issuing_bank, row.advising_bank, row.beneficiary

    def for_caller(self, caller: Caller) -> list[CreditRow]:
        me = caller.org_id
        mine = or_(
            CreditRow.applicant == me,
            CreditRow.issuing_bank == me,
            CreditRow.advising_bank == me,
            CreditRow.beneficiary == me,
        )
        return list(self.session.exec(select(CreditRow).where(mine).order_by(col(CreditRow.applied_block))))

    def out(self, row: CreditRow, receipt: Receipt | None = None) -> CreditOut:
        chain, _ = self._wired()
        lc = chain.letters_of_credit()
        view = lc.credit(from_hex32(row.credit_id))
        amendments = self.session.exec(
            select(AmendmentRow)
            .where(AmendmentRow.credit_id == row.credit_id)
            .order_by(col(AmendmentRow.number))
        )
        presentations = self.session.exec(
            select(PresentationRow)
            .where(PresentationRow.credit_id == row.credit_id)
            .order_by(col(PresentationRow.presented_block))
        )
        return CreditOut(
            id=row.credit_id,
            number=row.number,
            applicant=row.applicant,
            issuing_bank=row.issuing_bank,
            advising_bank=row.advising_bank,
            beneficiary=row.beneficiary,
            currency=row.currency,
            payment=row.payment,
            status=view.status.name.lower(),
            terms=json.loads(row.terms_json),
            terms_hash=row.terms_hash,
            drawn_minor=view.drawn,
            available_minor=lc.available(from_hex32(row.credit_id)),
            amendments=[self._amendment_out(chain, a) for a in amendments],
            presentations=[self.presentation_out(p) for p in presentations],
            tx=TxOut.of(receipt) if receipt else None,
        )

    def _amendment_out(self, chain: Chain, row: AmendmentRow) -> AmendmentOut:
        _, accepted, rejected = chain.letters_of_credit().call(
            "amendment", from_hex32(row.credit_id), row.number
        )
        return AmendmentOut(
            number=row.number,
            changes=json.loads(row.changes_json),
            terms_hash=row.terms_hash,
            status="accepted" if accepted else "rejected" if rejected else "pending",
        )

    def presentation_out(self, row: PresentationRow, receipt: Receipt | None = None) -> PresentationOut:
        chain, _ = self._wired()
        view = chain.letters_of_credit().presentation(from_hex32(row.presentation_id))
        return PresentationOut(
            id=row.presentation_id,
            credit_id=row.credit_id,
            amount_minor=row.amount,
            status=view.status.name.lower(),
            documents_hash=row.documents_hash,
            result_hash=row.result_hash,
            receivable_id=receivable_hex(view.receivable) if view.receivable else None,
            tx=TxOut.of(receipt) if receipt else None,
        )

    def presentation_detail(
        self, row: PresentationRow, receipt: Receipt | None = None
    ) -> PresentationDetailOut:
        summary = self.presentation_out(row, receipt)
        return PresentationDetailOut(
            **summary.model_dump(exclude={"tx"}),
            tx=summary.tx,
            documents=json.loads(row.documents_json),
            report=self.report_of(row),
        )

    @staticmethod
    def report_of(row: PresentationRow) -> ExaminationReport | None:
        return ExaminationReport.model_validate_json(row.report_json) if row.report_json else None

    def today(self) -> date:
        """The chain's date (UTC): what presentations are dated and expiry dates are checked against."""
        chain, _ = self._wired()
        return datetime.fromtimestamp(int(chain.w3.eth.get_block("latest")["timestamp"]), UTC).date()

    # --- writes -------------------------------------------------------------------------------

    def _member(self, org_id: str, what: str) -> Organisation:
        org = self.session.get(Organisation, org_id.lower())
        if org is None or org.status != "active":
            raise InvalidInput(
                f"the {what} {org_id} is not an active member organisation", code="invalid_party"
            )
        return org

    def apply(self, caller: Caller, body: CreditIn) -> CreditOut:
        chain, _ = self._wired()
        if caller.role != "core_enterprise":
            raise Forbidden("only core enterprises apply for letters of credit", code="role_required")
        applicant = self._member(caller.org_id, "applicant")
        for org, what in ((body.issuing_bank, "issuing bank"), (body.advising_bank, "advising bank")):
            if self._member(org, what).role != "financier":
                raise InvalidInput(f"the {what} {org} is not a bank (financier)", code="invalid_party")
        beneficiary = self._member(body.beneficiary, "beneficiary")
        today = self.today()
        if body.expiry_date < today:
            detail = f"the expiry date {body.expiry_date} has passed (today is {today}); choose a later date"
            raise InvalidInput(
                detail,
                code="expiry_in_past",
                errors=[{"field": "expiry_date", "code": "expiry_in_past", "msg": detail}],
            )
        fields = body.model_dump(
            exclude={"issuing_bank", "advising_bank", "beneficiary", "payment", "deferred_days"}
        )
        terms = CreditTerms(**fields, applicant=applicant.name, beneficiary=beneficiary.name)
        document = {
            "credit_terms": terms.model_dump(mode="json"),
            "applicant": caller.org_id,
            "issuing_bank": body.issuing_bank.lower(),
            "advising_bank": body.advising_bank.lower(),
            "beneficiary": body.beneficiary.lower(),
            "payment": body.payment,
            "deferred_days": body.deferred_days,
        }
        on_chain = on_chain_terms(document)
        credit, receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).apply_for_credit(
            number_hash(body.number),
            from_hex32(body.issuing_bank.lower()),
            from_hex32(body.advising_bank.lower()),
            from_hex32(body.beneficiary.lower()),
            body.currency,
            on_chain,
        )
        row = CreditRow(
            credit_id=to_hex32(credit),
            number=body.number,
            applicant=caller.org_id,
            issuing_bank=body.issuing_bank.lower(),
            advising_bank=body.advising_bank.lower(),
            beneficiary=body.beneficiary.lower(),
            currency=body.currency,
            payment=body.payment,
            terms_json=json.dumps(document),
            terms_hash=to_hex32(on_chain.terms_hash),
            applied_block=receipt.block_number,
            applied_tx=receipt.tx_hash,
        )
        self.session.add(row)
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def _only(self, caller: Caller, party: str, what: str, code: str) -> None:
        if caller.org_id != party:
            raise Forbidden(f"only the {what} of the credit does this", code=code)

    def issue(self, caller: Caller, credit_id: str) -> CreditOut:
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        self._only(caller, row.issuing_bank, "issuing bank", "not_issuing_bank")
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).issue(from_hex32(row.credit_id))
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def advise(self, caller: Caller, credit_id: str) -> CreditOut:
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        self._only(caller, row.advising_bank, "advising bank", "not_advising_bank")
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).advise(from_hex32(row.credit_id))
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def expire(self, caller: Caller, credit_id: str) -> CreditOut:
        """Any party closes a credit whose expiry date has passed (the contract checks the date)."""
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).expire(from_hex32(row.credit_id))
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def cancel(self, caller: Caller, credit_id: str) -> CreditOut:
        """The applicant withdraws its application, or the issuing bank cancels before advice."""
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        if caller.org_id not in (row.applicant, row.issuing_bank):
            raise Forbidden("only the applicant or the issuing bank cancels a credit", code="not_applicant")
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).cancel(from_hex32(row.credit_id))
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def amend(self, caller: Caller, credit_id: str, body: AmendmentIn) -> CreditOut:
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        self._only(caller, row.issuing_bank, "issuing bank", "not_issuing_bank")
        changes = body.model_dump(mode="json", exclude_unset=True)
        document = json.loads(row.terms_json)
        try:
            terms = CreditTerms.model_validate({**document["credit_terms"], **changes})
        except ValueError as exc:
            raise InvalidInput(f"the amended terms are invalid: {exc}", code="invalid_amendment") from exc
        if terms.expiry_date < terms.latest_shipment_date:
            raise InvalidInput(
                "the expiry date cannot be before the latest shipment date", code="invalid_amendment"
            )
        document = {**document, "credit_terms": terms.model_dump(mode="json")}
        on_chain = on_chain_terms(document)
        number, receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).propose_amendment(
            from_hex32(row.credit_id), on_chain
        )
        self.session.add(
            AmendmentRow(
                credit_id=row.credit_id,
                number=number,
                changes_json=json.dumps(changes),
                terms_json=json.dumps(document),
                terms_hash=to_hex32(on_chain.terms_hash),
                proposed_block=receipt.block_number,
            )
        )
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def settle_amendment(self, caller: Caller, credit_id: str, number: int, *, accept: bool) -> CreditOut:
        """The beneficiary accepts (the amended terms replace the stored ones) or rejects an amendment."""
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        amendment = self.session.get(AmendmentRow, (row.credit_id, number))
        if amendment is None:
            raise NotFound(f"no amendment {number} of credit {row.credit_id}", code="amendment_not_found")
        self._only(caller, row.beneficiary, "beneficiary", "not_beneficiary")
        lc = chain.letters_of_credit(signing_key(chain, caller.org_id))
        if accept:
            receipt = lc.accept_amendment(from_hex32(row.credit_id), number)
            row.terms_json, row.terms_hash = amendment.terms_json, amendment.terms_hash
            self.session.add(row)
        else:
            receipt = lc.reject_amendment(from_hex32(row.credit_id), number)
        self.settle(receipt)
        return self.out(self._credit(row.credit_id), receipt)

    def present(self, caller: Caller, credit_id: str, body: PresentationIn) -> PresentationDetailOut:
        chain, _ = self._wired()
        row = self.visible(caller, credit_id)
        self._only(caller, row.beneficiary, "beneficiary", "not_beneficiary")
        credit = from_hex32(row.credit_id)
        documents = Presentation(
            presented_on=self.today(),
            previously_drawn=chain.letters_of_credit().credit(credit).drawn,
            **body.model_dump(exclude={"amount_minor"}),
        ).model_dump(mode="json")
        commitment = digest(documents)
        presentation, receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).present(
            credit, body.amount_minor, from_hex32(commitment)
        )
        self.session.add(
            PresentationRow(
                presentation_id=to_hex32(presentation),
                credit_id=row.credit_id,
                amount=body.amount_minor,
                documents_json=json.dumps(documents),
                documents_hash=commitment,
                presented_block=receipt.block_number,
            )
        )
        self.settle(receipt)
        return self.presentation_detail(self._presentation(to_hex32(presentation)), receipt)

    def examine(self, caller: Caller, presentation_id: str) -> PresentationDetailOut:
        """The issuing bank runs the UCP 600 engine on the stored terms and documents; the report's
        hash goes on chain with its verdict."""
        chain, _ = self._wired()
        credit, row = self.visible_presentation(caller, presentation_id)
        self._only(caller, credit.issuing_bank, "issuing bank", "not_issuing_bank")
        terms = CreditTerms.model_validate(json.loads(credit.terms_json)["credit_terms"])
        report = examine(terms, Presentation.model_validate(json.loads(row.documents_json)))
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).record_examination(
            from_hex32(row.presentation_id), report.complying, from_hex32(report.result_hash)
        )
        row.report_json, row.result_hash = report.model_dump_json(), report.result_hash
        self.session.add(row)
        self.settle(receipt)
        return self.presentation_detail(self._presentation(row.presentation_id), receipt)

    def refuse(self, caller: Caller, presentation_id: str) -> PresentationDetailOut:
        """One refusal notice listing every discrepancy: the report's hash."""
        chain, _ = self._wired()
        credit, row = self.visible_presentation(caller, presentation_id)
        self._only(caller, credit.issuing_bank, "issuing bank", "not_issuing_bank")
        report = self.report_of(row)
        if report is None or report.complying:
            raise Conflict(
                f"presentation {row.presentation_id} is not examined as discrepant; only a discrepant "
                "presentation is refused",
                code="presentation_not_discrepant",
            )
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).refuse(
            from_hex32(row.presentation_id), from_hex32(report.result_hash)
        )
        self.settle(receipt)
        return self.presentation_detail(self._presentation(row.presentation_id), receipt)

    def waive(self, caller: Caller, presentation_id: str) -> PresentationDetailOut:
        chain, _ = self._wired()
        credit, row = self.visible_presentation(caller, presentation_id)
        self._only(caller, credit.applicant, "applicant", "not_applicant")
        receipt = chain.letters_of_credit(signing_key(chain, caller.org_id)).waive(
            from_hex32(row.presentation_id)
        )
        self.settle(receipt)
        return self.presentation_detail(self._presentation(row.presentation_id), receipt)

    def honour(self, caller: Caller, presentation_id: str) -> PresentationDetailOut:
        """At sight the beneficiary is paid in SettlementToken from the bank's account (the bank's
        allowance to LettersOfCredit is set first); deferred, a confirmed receivable on the bank is made."""
        chain, _ = self._wired()
        credit, row = self.visible_presentation(caller, presentation_id)
        self._only(caller, credit.issuing_bank, "issuing bank", "not_issuing_bank")
        key = signing_key(chain, caller.org_id)
        view = chain.letters_of_credit().presentation(from_hex32(row.presentation_id))
        if credit.payment == "sight" and view.status in (
            PresentationStatus.COMPLYING,
            PresentationStatus.WAIVED,
        ):
            self._allow(chain, key, row.amount)
        receipt = chain.letters_of_credit(key).honour(from_hex32(row.presentation_id))
        self.settle(receipt)
        return self.presentation_detail(self._presentation(row.presentation_id), receipt)

    @staticmethod
    def _allow(chain: Chain, key: str, amount: int) -> None:
        """Let the LettersOfCredit contract move this key's tokens (the cash leg at sight)."""
        chain.settlement_token(key).ensure_allowance(
            chain.require_manifest().address("LettersOfCredit"), amount
        )

    def _credit(self, credit_id: str) -> CreditRow:
        row = self.session.get(CreditRow, credit_id)
        if row is None:
            raise NotFound(f"no letter of credit {credit_id}", code="credit_not_found")
        return row

    def _presentation(self, presentation_id: str) -> PresentationRow:
        row = self.session.get(PresentationRow, presentation_id)
        if row is None:
            raise NotFound(f"no presentation {presentation_id}", code="presentation_not_found")
        return row
