// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title Financing: receivables financing with delivery versus payment, and repayment
/// @notice The holder of a confirmed receivable requests financing; financiers offer (advance,
/// discount rate, tenor, recourse); the holder accepts one offer and, in one transaction, the
/// advance moves from the financier to the holder in SettlementToken while the receivable moves
/// to the financier (DvP). An advance above the review threshold waits for a risk reviewer of the
/// financier first. At maturity the debtor repays the current holder (partial repayments allowed).
/// Green receivables: a financier may add green terms to its offer (a lower discount rate and the
/// correspondingly higher advance) that apply if, at acceptance, the holder's verified carbon score
/// on CarbonLedger is valid and at least the offer's minimum.
/// @dev One live financing per receivable; the advance never exceeds the outstanding face value;
/// unconfirmed receivables, suspended parties and a paused programme cannot be financed.
/// The threshold is ADMIN-only (dual control); pausing is the operator's, unpausing ADMIN's.
interface IFinancing {
    enum FinancingStatus {
        None,
        Requested,
        PendingReview,
        Funded,
        Repaid,
        Cancelled,
        RecourseClaimed
    }

    struct Terms {
        OrgId financier;
        address financierAccount;
        uint256 advance;
        uint32 discountBps;
        uint32 tenorDays;
        bool recourse;
    }

    /// @notice Terms that replace the offer's advance and rate for a holder with a good carbon score.
    struct GreenTerms {
        uint256 advance;
        uint32 discountBps;
        uint16 minScoreBps;
    }

    struct Financing {
        uint256 receivable;
        OrgId holder;
        address holderAccount;
        uint256 minAdvance;
        FinancingStatus status;
        uint64 requestedAt;
        uint64 fundedAt;
        Terms terms;
    }

    /* EVENTS */

    event FinancingRequested(bytes32 indexed id, uint256 indexed receivable, OrgId indexed holder, uint256 minAdvance);
    event FinancingOffered(
        bytes32 indexed id, OrgId indexed financier, uint256 advance, uint32 discountBps, uint32 tenorDays, bool recourse
    );
    event GreenTermsOffered(
        bytes32 indexed id, OrgId indexed financier, uint256 advance, uint32 discountBps, uint16 minScoreBps
    );
    /// @notice The green terms applied: the holder's carbon score qualified at acceptance.
    event GreenFinancing(bytes32 indexed id, OrgId indexed holder, uint16 scoreBps, uint32 discountBps, uint256 advance);
    event FinancingAccepted(bytes32 indexed id, OrgId indexed financier, bool needsReview);
    /// @notice DvP done: `advance` paid to the holder, the receivable assigned to the financier.
    event FinancingFunded(bytes32 indexed id, uint256 indexed receivable, OrgId indexed financier, uint256 advance);
    event FinancingCancelled(bytes32 indexed id);
    event RepaymentMade(uint256 indexed receivable, OrgId indexed debtor, address indexed holder, uint256 amount);
    event FinancingRepaid(bytes32 indexed id);
    event RecourseClaimed(bytes32 indexed id, OrgId indexed financier, OrgId indexed holder, uint256 outstanding);
    event ReviewThresholdChanged(uint256 previous, uint256 threshold);
    event ProgrammePaused(address by);
    event ProgrammeUnpaused(address by);

    /* ERRORS */

    error FinancingUnknown(bytes32 id);
    /// @notice The receivable has a live financing already.
    error FinancingAlreadyActive(uint256 receivable, bytes32 existing);
    /// @notice Only confirmed receivables (not overdue, not split) can be financed.
    error FinancingReceivableNotConfirmed(uint256 receivable);
    /// @notice The caller does not hold the receivable.
    error FinancingNotHolder(uint256 receivable, address caller);
    /// @notice The advance must be positive and at most the outstanding face value.
    error FinancingExceedsFaceValue(bytes32 id, uint256 advance, uint256 outstanding);
    /// @notice The advance is below what the holder asked for.
    error FinancingBelowRequested(bytes32 id, uint256 advance, uint256 minAdvance);
    error FinancingWrongStatus(bytes32 id, FinancingStatus status);
    /// @notice This financier made no offer on this request.
    error FinancingNoOffer(bytes32 id, OrgId financier);
    /// @notice A party (holder, financier or debtor) is suspended.
    error FinancingPartySuspended(OrgId party);
    /// @notice Only a risk reviewer of the offering financier may approve.
    error FinancingNotReviewer(bytes32 id, OrgId caller);
    /// @notice Only the debtor repays.
    error FinancingNotDebtor(uint256 receivable, OrgId caller);
    /// @notice Recourse needs an overdue receivable financed with recourse.
    error FinancingNoRecourse(bytes32 id);
    error FinancingPaused();
    /// @notice Green terms need an offer of this financier first, a lower rate, an advance at least the
    /// offer's and at most the outstanding face value, and a minimum score of at most 10,000 bps.
    error FinancingInvalidGreenTerms(bytes32 id);
    error FinancingNotPaused();

    /* FINANCING */

    function request(uint256 receivable, uint256 minAdvance) external returns (bytes32 id);

    function offer(bytes32 id, uint256 advance, uint32 discountBps, uint32 tenorDays, bool recourse) external;

    /// @notice Adds green terms to the caller's offer (replaced when the offer is made again).
    function offerGreenTerms(bytes32 id, uint256 advance, uint32 discountBps, uint16 minScoreBps) external;

    function accept(bytes32 id, OrgId financier) external;

    function approveReview(bytes32 id) external;

    function cancel(bytes32 id) external;

    /* MATURITY */

    function repay(uint256 receivable, uint256 amount) external;

    function claimRecourse(bytes32 id) external;

    /* PROGRAMME */

    function setReviewThreshold(uint256 threshold) external;

    function pause() external;

    function unpause() external;

    /* VIEWS */

    function financing(bytes32 id) external view returns (Financing memory);

    function offerOf(bytes32 id, OrgId financier) external view returns (Terms memory);

    function greenTermsOf(bytes32 id, OrgId financier) external view returns (GreenTerms memory);

    /// @notice The live financing of a receivable, or zero.
    function liveFinancing(uint256 receivable) external view returns (bytes32);

    function reviewThreshold() external view returns (uint256);

    function paused() external view returns (bool);
}
