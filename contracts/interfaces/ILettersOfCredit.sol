// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Currency, OrgId} from "./Types.sol";

/// @title LettersOfCredit: documentary credits under UCP 600
/// @notice The applicant applies naming its issuing bank, the advising bank and the beneficiary;
/// the issuing bank issues; the advising bank advises. Amendments are proposed by the issuing bank
/// and bind only once the beneficiary accepts them. The beneficiary presents documents (their
/// commitment); the issuing bank records the examination (the hash of the engine's report), then
/// honours a complying presentation — at sight, paying the beneficiary in SettlementToken, or by
/// accepting a deferred payment, which creates a confirmed receivable on the issuing bank in
/// `Receivables` (financeable like any other) — or refuses a discrepant one once, with a single
/// notice. The applicant may waive the discrepancies of a refused presentation, which the bank may
/// then honour. Each step belongs to one party, and states only move forward.
/// @dev The credit id is `keccak256(abi.encode(applicant, ref))`; a presentation id is
/// `keccak256(abi.encode(creditId, index))`. Amounts are minor units of the credit's currency; the
/// amount available is `amount * (10_000 + toleranceBps) / 10_000` less what was drawn.
interface ILettersOfCredit {
    enum CreditStatus {
        None,
        Applied,
        Issued,
        Advised,
        Expired,
        Cancelled
    }

    enum Payment {
        Sight,
        Deferred
    }

    enum PresentationStatus {
        None,
        Presented,
        Complying,
        Discrepant,
        Refused,
        Waived,
        Honoured,
        Accepted
    }

    /// @notice The credit's operative terms; `termsHash` commits to the full terms document
    /// (goods description, quantity and unit price, ports, incoterm, expiry place, documents).
    struct Terms {
        uint256 amount;
        uint16 toleranceBps;
        uint64 expiry;
        uint64 latestShipment;
        uint16 presentationDays;
        bool partialShipments;
        bool transshipment;
        Payment payment;
        uint32 deferredDays;
        bytes32 termsHash;
    }

    struct Credit {
        OrgId applicant;
        OrgId issuingBank;
        OrgId advisingBank;
        OrgId beneficiary;
        Currency currency;
        CreditStatus status;
        uint32 amendments;
        uint32 presentations;
        uint256 drawn;
        Terms terms;
    }

    struct Amendment {
        Terms terms;
        bool accepted;
        bool rejected;
    }

    struct Presentation {
        bytes32 credit;
        uint256 amount;
        bytes32 documents;
        bytes32 examination;
        PresentationStatus status;
        uint64 presentedAt;
        uint256 receivable;
    }

    event CreditApplied(bytes32 indexed id, OrgId indexed applicant, OrgId indexed issuingBank, OrgId beneficiary);
    event CreditIssued(bytes32 indexed id, OrgId indexed issuingBank, uint256 amount, Currency currency, uint64 expiry);
    event CreditAdvised(bytes32 indexed id, OrgId indexed advisingBank);
    event AmendmentProposed(bytes32 indexed id, uint32 indexed number, bytes32 termsHash);
    event AmendmentAccepted(bytes32 indexed id, uint32 indexed number);
    event AmendmentRejected(bytes32 indexed id, uint32 indexed number);
    event DocumentsPresented(bytes32 indexed id, bytes32 indexed presentation, uint256 amount, bytes32 documents);
    event PresentationExamined(bytes32 indexed presentation, bool complying, bytes32 report);
    /// @notice The single refusal notice, listing every discrepancy (its hash: the report).
    event PresentationRefused(bytes32 indexed presentation, bytes32 notice);
    event DiscrepanciesWaived(bytes32 indexed presentation, OrgId indexed applicant);
    event PresentationHonoured(bytes32 indexed presentation, OrgId indexed beneficiary, uint256 amount);
    event DeferredPaymentAccepted(bytes32 indexed presentation, uint256 indexed receivable, uint64 dueDate);
    event CreditExpired(bytes32 indexed id);
    event CreditCancelled(bytes32 indexed id);

    error LcUnknown(bytes32 id);
    error LcExists(bytes32 id);
    /// @notice Zero amount, expiry passed or before the latest shipment, an unknown or inactive party.
    error LcInvalidTerms();
    error LcWrongStatus(bytes32 id, CreditStatus status);
    /// @notice The caller's organisation is not the party whose step this is.
    error LcNotParty(bytes32 id, OrgId caller);
    error LcExpiredCredit(bytes32 id, uint64 expiry);
    error LcExceedsAvailable(bytes32 id, uint256 amount, uint256 available);
    error LcUnknownAmendment(bytes32 id, uint32 number);
    error LcAmendmentSettled(bytes32 id, uint32 number);
    error LcUnknownPresentation(bytes32 presentation);
    error LcWrongPresentationStatus(bytes32 presentation, PresentationStatus status);
    error LcNotExpired(bytes32 id, uint64 expiry);

    function applyForCredit(
        bytes32 ref,
        OrgId issuingBank,
        OrgId advisingBank,
        OrgId beneficiary,
        Currency currency,
        Terms calldata terms
    ) external returns (bytes32 id);

    function issue(bytes32 id) external;

    function advise(bytes32 id) external;

    function proposeAmendment(bytes32 id, Terms calldata terms) external returns (uint32 number);

    function acceptAmendment(bytes32 id, uint32 number) external;

    function rejectAmendment(bytes32 id, uint32 number) external;

    function present(bytes32 id, uint256 amount, bytes32 documents) external returns (bytes32 presentation);

    function recordExamination(bytes32 presentation, bool complying, bytes32 report) external;

    function refuse(bytes32 presentation, bytes32 notice) external;

    function waive(bytes32 presentation) external;

    /// @notice Sight: pays the beneficiary now (DvP in SettlementToken from the bank's account).
    /// Deferred: accepts, creating a confirmed receivable on the issuing bank due after `deferredDays`.
    function honour(bytes32 presentation) external;

    function expire(bytes32 id) external;

    function cancel(bytes32 id) external;

    function credit(bytes32 id) external view returns (Credit memory);

    function amendment(bytes32 id, uint32 number) external view returns (Amendment memory);

    function presentationOf(bytes32 presentation) external view returns (Presentation memory);

    function available(bytes32 id) external view returns (uint256);
}
