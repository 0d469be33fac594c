"""The consortium's role policy: which role may call which contract function.

This table is the whole access policy, in one readable place. Deployment
applies it to the AccessManager; a test checks that every state-changing
function of every contract appears here, so nothing is left at a default.
Role ids mirror ``contracts/governance/Roles.sol``.
"""

from __future__ import annotations

import hashlib
import json
from enum import IntEnum


class OrgRole(IntEnum):
    """``OrgRole`` in contracts/interfaces/Types.sol (same order)."""

    NONE = 0
    OPERATOR = 1
    CORE_ENTERPRISE = 2
    SUPPLIER = 3
    FINANCIER = 4
    LOGISTICS = 5
    CUSTOMS_ORACLE = 6
    IOT_ORACLE = 7
    AUDITOR = 8
    REGULATOR = 9
    CARBON_VERIFIER = 10

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> OrgRole:
        return cls[slug.upper()]


class Role(IntEnum):
    """AccessManager role ids (``library Roles``)."""

    ADMIN = 0  # held only by DualControl once deployed
    GOVERNANCE_OFFICER = 1
    REGISTRAR = 3  # the Participants contract: role-admin of every member role
    RISK_REVIEWER = 5  # financiers' risk reviewers; granted through dual control
    SYSTEM = 4  # platform contracts calling each other (Receivables -> PurchaseOrders, Financing -> …)
    OPERATOR = 11
    CORE_ENTERPRISE = 12
    SUPPLIER = 13
    FINANCIER = 14
    LOGISTICS = 15
    CUSTOMS_ORACLE = 16
    IOT_ORACLE = 17
    AUDITOR = 18
    REGULATOR = 19
    CARBON_VERIFIER = 20
    PUBLIC = 2**64 - 1  # anyone; the contract's own active-member check is the gate

    @classmethod
    def for_org(cls, role: OrgRole) -> Role:
        return cls(10 + int(role))


MEMBER_ROLES = tuple(Role.for_org(r) for r in OrgRole if r is not OrgRole.NONE)

# contract -> function -> role. Views are not listed (they are not restricted).
POLICY: dict[str, dict[str, Role]] = {
    "Participants": {
        "registerOrganisation": Role.OPERATOR,
        "suspendOrganisation": Role.OPERATOR,
        "reinstateOrganisation": Role.ADMIN,  # unpausing goes through dual control
        "addAccount": Role.PUBLIC,
        "removeAccount": Role.PUBLIC,
        "updateLegalIdCommitment": Role.PUBLIC,
        "upgradeToAndCall": Role.ADMIN,
    },
    "DualControl": {
        "propose": Role.GOVERNANCE_OFFICER,
        "approve": Role.GOVERNANCE_OFFICER,
        "execute": Role.GOVERNANCE_OFFICER,
        "cancel": Role.GOVERNANCE_OFFICER,
        "setThreshold": Role.ADMIN,
        "setExecutionDelay": Role.ADMIN,
        "upgradeToAndCall": Role.ADMIN,
    },
    "DocumentRegistry": {
        "anchor": Role.PUBLIC,  # any active member anchors its own documents
        "amend": Role.PUBLIC,  # only the issuer (checked by the contract)
        "anchorBatch": Role.PUBLIC,
        "upgradeToAndCall": Role.ADMIN,
    },
    "PurchaseOrders": {
        "registerOrder": Role.CORE_ENTERPRISE,
        "recordReceipt": Role.CORE_ENTERPRISE,  # the order's buyer (checked by the contract)
        "recordShipment": Role.LOGISTICS,
        "cancelOrder": Role.CORE_ENTERPRISE,
        "addInvoiced": Role.SYSTEM,  # Receivables, when it issues
        "upgradeToAndCall": Role.ADMIN,
    },
    "Receivables": {
        "issue": Role.SUPPLIER,
        "attestMatch": Role.OPERATOR,  # the platform's matching service; anyone can recompute it
        "confirm": Role.CORE_ENTERPRISE,  # the debtor (checked by the contract)
        "split": Role.PUBLIC,  # the holder, whoever it is (tier-n supplier, financier)
        "transferFrom": Role.PUBLIC,
        "safeTransferFrom": Role.PUBLIC,
        "approve": Role.PUBLIC,
        "setApprovalForAll": Role.PUBLIC,
        "markOverdue": Role.PUBLIC,
        "issueAccepted": Role.SYSTEM,  # LettersOfCredit, accepting a deferred payment
        "assign": Role.SYSTEM,  # Financing's DvP
        "recordRepayment": Role.SYSTEM,  # Financing, when the debtor repays
        "upgradeToAndCall": Role.ADMIN,
    },
    "SettlementToken": {
        "mint": Role.FINANCIER,  # banks tokenize deposits
        "redeem": Role.PUBLIC,
        "transfer": Role.PUBLIC,
        "approve": Role.PUBLIC,
        "transferFrom": Role.SYSTEM,  # the cash legs of Financing's DvP and of honouring a credit
        "upgradeToAndCall": Role.ADMIN,
    },
    "Financing": {
        "request": Role.PUBLIC,  # the holder (checked by the contract)
        "offer": Role.FINANCIER,
        "offerGreenTerms": Role.FINANCIER,  # on its own offer (checked by the contract)
        "accept": Role.PUBLIC,  # the requesting holder
        "approveReview": Role.RISK_REVIEWER,  # of the offering financier
        "cancel": Role.PUBLIC,  # the requesting holder
        "repay": Role.PUBLIC,  # the debtor (checked by the contract): a buyer, or a bank under a credit
        "claimRecourse": Role.FINANCIER,
        "pause": Role.OPERATOR,  # circuit breaker …
        "unpause": Role.ADMIN,  # … undone only through dual control
        "setReviewThreshold": Role.ADMIN,
        "upgradeToAndCall": Role.ADMIN,
    },
    "LettersOfCredit": {
        "applyForCredit": Role.CORE_ENTERPRISE,  # the applicant (buyer)
        "issue": Role.FINANCIER,  # the named issuing bank (checked by the contract)
        "advise": Role.FINANCIER,  # the named advising bank
        "proposeAmendment": Role.FINANCIER,  # the issuing bank
        "acceptAmendment": Role.PUBLIC,  # the beneficiary, whatever its role
        "rejectAmendment": Role.PUBLIC,
        "present": Role.PUBLIC,  # the beneficiary
        "recordExamination": Role.FINANCIER,  # the issuing bank
        "refuse": Role.FINANCIER,
        "waive": Role.CORE_ENTERPRISE,  # the applicant
        "honour": Role.FINANCIER,  # the issuing bank
        "expire": Role.PUBLIC,  # any member, after expiry
        "cancel": Role.PUBLIC,  # the applicant before issuance, or the issuing bank before advice
        "upgradeToAndCall": Role.ADMIN,
    },
    "DeviceRegistry": {
        "registerDevice": Role.PUBLIC,  # any active member registers its own devices
        "rotateKey": Role.PUBLIC,  # the device's owner (checked by the contract)
        "rebind": Role.PUBLIC,
        "revokeDevice": Role.PUBLIC,
        "upgradeToAndCall": Role.ADMIN,
    },
    "CarbonLedger": {
        "anchorReadings": Role.IOT_ORACLE,
        "registerFactorSet": Role.OPERATOR,  # the platform publishes versioned factor sets
        "submitStatement": Role.PUBLIC,  # an organisation states its own emissions
        "verifyStatement": Role.CARBON_VERIFIER,
        "setCarbonScore": Role.CARBON_VERIFIER,  # from a verified reduction, computed on chain
        "upgradeToAndCall": Role.ADMIN,
    },
    "CarbonCredits": {
        "issueCredits": Role.CARBON_VERIFIER,  # against a verified statement
        "retire": Role.PUBLIC,  # the holder, for good
        "pledge": Role.PUBLIC,  # the financing's holder (checked by the contract)
        "release": Role.PUBLIC,  # any member, once the financing is repaid or cancelled
        "seize": Role.FINANCIER,  # the financing's financier, after recourse
        "safeTransferFrom": Role.PUBLIC,
        "safeBatchTransferFrom": Role.PUBLIC,
        "setApprovalForAll": Role.PUBLIC,
        "upgradeToAndCall": Role.ADMIN,
    },
    "CustomsAttestations": {
        "attest": Role.PUBLIC,  # any active member relays; the signer must be a customs oracle's account
        "attestMany": Role.PUBLIC,
        "setThreshold": Role.ADMIN,  # k of n: changed only through dual control
        "upgradeToAndCall": Role.ADMIN,
    },
}

# Platform contracts that hold SYSTEM (they call SYSTEM functions of other contracts).
SYSTEM_CONTRACTS = ("Receivables", "Financing", "LettersOfCredit")

# Functions that are not role-gated by design (guarded otherwise), per contract.
# `setAuthority` is callable only by the AccessManager itself (its `updateAuthority` is ADMIN-only).
UNRESTRICTED = {"initialize", "setAuthority"}


def policy_hash() -> str:
    canonical = {c: {f: int(r) for f, r in sorted(fns.items())} for c, fns in sorted(POLICY.items())}
    return "0x" + hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
