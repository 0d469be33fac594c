// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Currency, DocumentId, OrderId, OrgId} from "./Types.sol";

/// @title Receivables: invoices as ERC-721 tokens that can be confirmed, split, passed on and financed
/// @notice A supplier issues a receivable for an anchored invoice against its purchase order; the
/// buyer (debtor) confirms it (確權) once the three-document match is attested, or waives the
/// discrepancies explicitly. A confirmed receivable can be split (value conserved, lineage kept)
/// and transferred to other members (e.g. tier-2 suppliers), each of whom may finance its part.
/// @dev Double-financing protection: one receivable per (creditor, debtor, invoice number) and
/// per normalised-content fingerprint, and the receivables of an order never exceed its total.
/// Warning: a split receivable cannot be re-merged.
interface IReceivables {
    enum ReceivableStatus {
        None,
        Issued,
        Confirmed,
        Split,
        Repaid,
        Overdue
    }

    enum MatchStatus {
        Pending,
        Matched,
        MatchedWithinTolerance,
        Discrepant
    }

    struct Receivable {
        OrgId creditor;
        OrgId debtor;
        OrderId order;
        DocumentId invoice;
        Currency currency;
        ReceivableStatus status;
        MatchStatus matchStatus;
        bool waived;
        uint64 issuedAt;
        uint64 dueDate;
        uint256 faceValue;
        uint256 repaid;
        uint256 parent;
        bytes32 fingerprint;
        DocumentId matchResult;
    }

    /* EVENTS */

    event ReceivableIssued(
        uint256 indexed id,
        OrgId indexed creditor,
        OrgId indexed debtor,
        OrderId order,
        DocumentId invoice,
        Currency currency,
        uint256 faceValue,
        uint64 dueDate,
        bytes32 fingerprint
    );
    /// @notice The three-document match result (an anchored MatchResult document) was attested.
    event MatchAttested(uint256 indexed id, MatchStatus status, DocumentId matchResult);
    /// @notice The debtor confirmed the receivable; `waived` records an explicit waiver of discrepancies.
    event ReceivableConfirmed(uint256 indexed id, OrgId indexed debtor, bool waived);
    /// @notice A receivable was split into `children` (their face values sum to the parent's remaining value).
    event ReceivableSplit(uint256 indexed id, uint256[] children, uint256[] amounts);
    event RepaymentRecorded(uint256 indexed id, uint256 amount, uint256 repaid);
    event ReceivableOverdue(uint256 indexed id, uint64 dueDate);

    /* ERRORS */

    /// @notice This invoice number of this creditor and debtor is a receivable already.
    error ReceivableAlreadyIssued(uint256 existing);
    /// @notice The same invoice content is a receivable already (under another number or formatting).
    error ReceivableDuplicateInvoice(bytes32 fingerprint, uint256 existing);
    error ReceivableUnknown(uint256 id);
    /// @notice Face value must be positive and the due date in the future.
    error ReceivableInvalidTerms();
    /// @notice The invoice document is missing, not an invoice, or not the caller's.
    error ReceivableInvalidDocument(DocumentId document);
    /// @notice Only the debtor may do this.
    error ReceivableNotDebtor(uint256 id, OrgId caller);
    /// @notice Only the holder (the token's owner) may do this.
    error ReceivableNotHolder(uint256 id, address caller);
    error ReceivableWrongStatus(uint256 id, ReceivableStatus status);
    /// @notice No match result is attested yet.
    error ReceivableNotMatched(uint256 id);
    /// @notice The match is discrepant: confirm only with an explicit waiver.
    error ReceivableDiscrepant(uint256 id);
    /// @notice The parts must be two or more, each positive, summing to the remaining value.
    error ReceivableSplitNotConserved(uint256 id, uint256 sum, uint256 remaining);
    /// @notice Repaying `amount` would exceed the outstanding value.
    error ReceivableOverRepaid(uint256 id, uint256 amount, uint256 outstanding);
    error ReceivableNotDue(uint256 id, uint64 dueDate);
    /// @notice Receivables move only to accounts of active member organisations.
    error ReceivableInvalidReceiver(address to);

    /* ISSUANCE (supplier) */

    function issue(
        bytes32 invoiceNumberHash,
        OrderId order,
        DocumentId invoice,
        bytes32 fingerprint,
        uint256 faceValue,
        uint64 dueDate
    ) external returns (uint256 id);

    /// @notice A deferred payment accepted under a letter of credit (LettersOfCredit only): a
    /// receivable on the accepting bank, confirmed at once, minted to the beneficiary's account.
    /// `ref` (the presentation) is its fingerprint and, with the parties, its id.
    function issueAccepted(
        OrgId creditor,
        address creditorAccount,
        OrgId debtor,
        Currency currency,
        uint256 faceValue,
        uint64 dueDate,
        bytes32 ref
    ) external returns (uint256 id);

    /* MATCHING AND CONFIRMATION */

    /// @notice The platform's matching service attests the result (an anchored MatchResult document
    /// referring to its inputs); anyone with the documents can recompute it.
    function attestMatch(uint256 id, MatchStatus status, DocumentId matchResult) external;

    /// @notice The debtor confirms; a discrepant receivable only with `waiveDiscrepancies`.
    function confirm(uint256 id, bool waiveDiscrepancies) external;

    /* CIRCULATION (holder) */

    /// @notice Splits a confirmed receivable into parts minted to the holder.
    function split(uint256 id, uint256[] calldata amounts) external returns (uint256[] memory children);

    /* SETTLEMENT (Financing contract) */

    /// @notice Moves the receivable to `to` (the financing's DvP).
    function assign(uint256 id, address to) external;

    /// @notice Records a repayment by the debtor.
    function recordRepayment(uint256 id, uint256 amount) external;

    /// @notice Marks a confirmed, unpaid receivable overdue once its due date has passed.
    function markOverdue(uint256 id) external;

    /* VIEWS */

    function receivable(uint256 id) external view returns (Receivable memory);

    /// @notice The organisation holding the receivable (the token owner's organisation).
    function holderOf(uint256 id) external view returns (OrgId);

    function receivableId(OrgId creditor, OrgId debtor, bytes32 invoiceNumberHash) external pure returns (uint256);

    /// @notice The receivable issued for `fingerprint`, or 0.
    function byFingerprint(bytes32 fingerprint) external view returns (uint256);
}
