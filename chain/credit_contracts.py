"""Typed wrapper of LettersOfCredit: documentary credits under UCP 600."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from enum import IntEnum
from typing import Any

from chain.contracts import BoundContract
from chain.currencies import currency_bytes, currency_code
from chain.sender import Receipt


class CreditStatus(IntEnum):
    NONE = 0
    APPLIED = 1
    ISSUED = 2
    ADVISED = 3
    EXPIRED = 4
    CANCELLED = 5


class Payment(IntEnum):
    SIGHT = 0
    DEFERRED = 1


class PresentationStatus(IntEnum):
    NONE = 0
    PRESENTED = 1
    COMPLYING = 2
    DISCREPANT = 3
    REFUSED = 4
    WAIVED = 5
    HONOURED = 6
    ACCEPTED = 7


@dataclass(frozen=True)
class CreditTermsOnChain:
    """The credit's operative terms as the contract keeps them (``terms_hash``: the full terms document)."""

    amount: int
    tolerance_bps: int
    expiry: int
    latest_shipment: int
    presentation_days: int
    partial_shipments: bool
    transshipment: bool
    payment: Payment
    deferred_days: int
    terms_hash: bytes


@dataclass(frozen=True)
class CreditView:
    id: bytes
    applicant: bytes
    issuing_bank: bytes
    advising_bank: bytes
    beneficiary: bytes
    currency: str
    status: CreditStatus
    amendments: int
    presentations: int
    drawn: int
    terms: CreditTermsOnChain


@dataclass(frozen=True)
class PresentationView:
    id: bytes
    credit: bytes
    amount: int
    documents: bytes
    examination: bytes
    status: PresentationStatus
    presented_at: int
    receivable: int


def _terms(raw: tuple[Any, ...]) -> CreditTermsOnChain:
    amount, tol, expiry, latest, days, partial, trans, payment, deferred, digest = raw
    return CreditTermsOnChain(
        int(amount),
        int(tol),
        int(expiry),
        int(latest),
        int(days),
        bool(partial),
        bool(trans),
        Payment(payment),
        int(deferred),
        bytes(digest),
    )


def _b32(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


class LettersOfCreditContract(BoundContract):
    def apply_for_credit(
        self,
        ref: bytes,
        issuing_bank: bytes,
        advising_bank: bytes,
        beneficiary: bytes,
        currency: str,
        terms: CreditTermsOnChain,
    ) -> tuple[bytes, Receipt]:
        receipt = self.transact(
            "applyForCredit",
            ref,
            issuing_bank,
            advising_bank,
            beneficiary,
            currency_bytes(currency),
            astuple(terms),
        )
        return _b32(self.event(receipt, "CreditApplied").args["id"]), receipt

    def issue(self, credit: bytes) -> Receipt:
        return self.transact("issue", credit)

    def advise(self, credit: bytes) -> Receipt:
        return self.transact("advise", credit)

    def propose_amendment(self, credit: bytes, terms: CreditTermsOnChain) -> tuple[int, Receipt]:
        receipt = self.transact("proposeAmendment", credit, astuple(terms))
        return int(self.event(receipt, "AmendmentProposed").args["number"]), receipt

    def accept_amendment(self, credit: bytes, number: int) -> Receipt:
        return self.transact("acceptAmendment", credit, number)

    def reject_amendment(self, credit: bytes, number: int) -> Receipt:
        return self.transact("rejectAmendment", credit, number)

    def present(self, credit: bytes, amount: int, documents: bytes) -> tuple[bytes, Receipt]:
        receipt = self.transact("present", credit, amount, documents)
        return _b32(self.event(receipt, "DocumentsPresented").args["presentation"]), receipt

    def record_examination(self, presentation: bytes, complying: bool, report: bytes) -> Receipt:
        return self.transact("recordExamination", presentation, complying, report)

    def refuse(self, presentation: bytes, notice: bytes) -> Receipt:
        return self.transact("refuse", presentation, notice)

    def waive(self, presentation: bytes) -> Receipt:
        return self.transact("waive", presentation)

    def honour(self, presentation: bytes) -> Receipt:
        return self.transact("honour", presentation)

    def expire(self, credit: bytes) -> Receipt:
        return self.transact("expire", credit)

    def cancel(self, credit: bytes) -> Receipt:
        return self.transact("cancel", credit)

    def credit(self, credit: bytes) -> CreditView:
        c = list(self.call("credit", credit))
        return CreditView(
            id=credit,
            applicant=bytes(c[0]),
            issuing_bank=bytes(c[1]),
            advising_bank=bytes(c[2]),
            beneficiary=bytes(c[3]),
            currency=currency_code(bytes(c[4])),
            status=CreditStatus(c[5]),
            amendments=int(c[6]),
            presentations=int(c[7]),
            drawn=int(c[8]),
            terms=_terms(tuple(c[9])),
        )

    def presentation(self, presentation: bytes) -> PresentationView:
        p = list(self.call("presentationOf", presentation))
        return PresentationView(
            id=presentation,
            credit=bytes(p[0]),
            amount=int(p[1]),
            documents=bytes(p[2]),
            examination=bytes(p[3]),
            status=PresentationStatus(p[4]),
            presented_at=int(p[5]),
            receivable=int(p[6]),
        )

    def available(self, credit: bytes) -> int:
        return int(self.call("available", credit))
