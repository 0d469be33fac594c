// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

import {ICarbonLedger} from "../interfaces/ICarbonLedger.sol";
import {IFinancing} from "../interfaces/IFinancing.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {IReceivables} from "../interfaces/IReceivables.sol";
import {OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title Financing
/// @notice Receivables financing with DvP and repayment; see {IFinancing}.
contract Financing is IFinancing, MemberGated {
    /* STORAGE */

    /// @custom:storage-location erc7201:tradeledger.storage.Financing
    struct FinancingStorage {
        IReceivables receivables;
        IERC20 cash;
        uint256 reviewThreshold;
        bool paused;
        uint256 requests;
        mapping(bytes32 id => Financing) financings;
        mapping(bytes32 id => mapping(OrgId financier => Terms)) offers;
        mapping(uint256 receivable => bytes32 id) live;
        ICarbonLedger carbon;
        mapping(bytes32 id => mapping(OrgId financier => GreenTerms)) green;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.Financing")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x916afc6a77c6e8b5abb0bc98c38269d28817d81dff470507027a625d131c9200;

    function _storage() private pure returns (FinancingStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(
        address authority,
        IParticipants registry,
        IReceivables receivables,
        IERC20 cash,
        uint256 threshold,
        ICarbonLedger carbon
    ) external initializer {
        __MemberGated_init(authority, registry);
        FinancingStorage storage $ = _storage();
        $.carbon = carbon;
        $.receivables = receivables;
        $.cash = cash;
        $.reviewThreshold = threshold;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.1.1";
    }

    /* FINANCING */

    /// @inheritdoc IFinancing
    function request(uint256 receivable, uint256 minAdvance) external restricted returns (bytes32 id) {
        FinancingStorage storage $ = _storage();
        (OrgId holder,) = _member();
        _whenActive();
        if (IERC721(address($.receivables)).ownerOf(receivable) != msg.sender) {
            revert FinancingNotHolder(receivable, msg.sender);
        }
        IReceivables.Receivable memory r = _financeable(receivable);
        bytes32 existing = $.live[receivable];
        if (existing != bytes32(0)) revert FinancingAlreadyActive(receivable, existing);

        $.requests += 1;
        id = keccak256(abi.encode(receivable, holder, $.requests));
        if (minAdvance > r.faceValue - r.repaid) revert FinancingExceedsFaceValue(id, minAdvance, r.faceValue - r.repaid);
        Financing storage f = $.financings[id];
        f.receivable = receivable;
        f.holder = holder;
        f.holderAccount = msg.sender;
        f.minAdvance = minAdvance;
        f.status = FinancingStatus.Requested;
        f.requestedAt = uint64(block.timestamp);
        $.live[receivable] = id;
        emit FinancingRequested(id, receivable, holder, minAdvance);
    }

    /// @inheritdoc IFinancing
    function offer(bytes32 id, uint256 advance, uint32 discountBps, uint32 tenorDays, bool recourse)
        external
        restricted
    {
        (OrgId financier,) = _member();
        _whenActive();
        Financing storage f = _withStatus(id, FinancingStatus.Requested);
        IReceivables.Receivable memory r = _storage().receivables.receivable(f.receivable);
        uint256 outstanding = r.faceValue - r.repaid;
        if (advance == 0 || advance > outstanding) revert FinancingExceedsFaceValue(id, advance, outstanding);
        if (advance < f.minAdvance) revert FinancingBelowRequested(id, advance, f.minAdvance);

        _storage().offers[id][financier] = Terms({
            financier: financier,
            financierAccount: msg.sender,
            advance: advance,
            discountBps: discountBps,
            tenorDays: tenorDays,
            recourse: recourse
        });
        delete _storage().green[id][financier];
        emit FinancingOffered(id, financier, advance, discountBps, tenorDays, recourse);
    }

    /// @inheritdoc IFinancing
    function offerGreenTerms(bytes32 id, uint256 advance, uint32 discountBps, uint16 minScoreBps)
        external
        restricted
    {
        (OrgId financier,) = _member();
        _whenActive();
        Financing storage f = _withStatus(id, FinancingStatus.Requested);
        Terms storage terms = _storage().offers[id][financier];
        IReceivables.Receivable memory r = _storage().receivables.receivable(f.receivable);
        if (
            terms.advance == 0 || discountBps >= terms.discountBps || advance < terms.advance
                || advance > r.faceValue - r.repaid || minScoreBps > 10_000
        ) revert FinancingInvalidGreenTerms(id);

        _storage().green[id][financier] = GreenTerms(advance, discountBps, minScoreBps);
        emit GreenTermsOffered(id, financier, advance, discountBps, minScoreBps);
    }

    /// @inheritdoc IFinancing
    function accept(bytes32 id, OrgId financier) external restricted {
        _member();
        _whenActive();
        Financing storage f = _withStatus(id, FinancingStatus.Requested);
        if (f.holderAccount != msg.sender) revert FinancingNotHolder(f.receivable, msg.sender);
        Terms storage terms = _storage().offers[id][financier];
        if (terms.advance == 0) revert FinancingNoOffer(id, financier);

        f.terms = terms;
        _applyGreenTerms(id, f);
        bool needsReview = f.terms.advance > _storage().reviewThreshold;
        f.status = needsReview ? FinancingStatus.PendingReview : FinancingStatus.Funded;
        emit FinancingAccepted(id, financier, needsReview);

        if (!needsReview) _deliverVersusPayment(id, f);
    }

    /// @inheritdoc IFinancing
    function approveReview(bytes32 id) external restricted {
        (OrgId reviewer,) = _member();
        _whenActive();
        Financing storage f = _withStatus(id, FinancingStatus.PendingReview);
        if (reviewer != f.terms.financier) revert FinancingNotReviewer(id, reviewer);

        f.status = FinancingStatus.Funded;
        _deliverVersusPayment(id, f);
    }

    /// @inheritdoc IFinancing
    function cancel(bytes32 id) external restricted {
        _member();
        Financing storage f = _existing(id);
        if (f.status != FinancingStatus.Requested && f.status != FinancingStatus.PendingReview) {
            revert FinancingWrongStatus(id, f.status);
        }
        if (f.holderAccount != msg.sender) revert FinancingNotHolder(f.receivable, msg.sender);

        f.status = FinancingStatus.Cancelled;
        delete _storage().live[f.receivable];
        emit FinancingCancelled(id);
    }

    /* MATURITY */

    /// @inheritdoc IFinancing
    function repay(uint256 receivable, uint256 amount) external restricted {
        FinancingStorage storage $ = _storage();
        (OrgId debtor,) = _member();
        IReceivables.Receivable memory r = $.receivables.receivable(receivable);
        if (r.debtor != debtor) revert FinancingNotDebtor(receivable, debtor);
        address holder = IERC721(address($.receivables)).ownerOf(receivable);

        emit RepaymentMade(receivable, debtor, holder, amount);
        $.receivables.recordRepayment(receivable, amount); // reverts on over-repayment
        bool settled = r.repaid + amount == r.faceValue;
        bytes32 id = $.live[receivable];
        if (settled && id != bytes32(0)) {
            Financing storage f = $.financings[id];
            if (f.status == FinancingStatus.Funded) f.status = FinancingStatus.Repaid;
            delete $.live[receivable];
            emit FinancingRepaid(id);
        }
        _pay(msg.sender, holder, amount);
    }

    /// @inheritdoc IFinancing
    function claimRecourse(bytes32 id) external restricted {
        (OrgId financier,) = _member();
        Financing storage f = _withStatus(id, FinancingStatus.Funded);
        IReceivables.Receivable memory r = _storage().receivables.receivable(f.receivable);
        if (
            !f.terms.recourse || f.terms.financier != financier
                || r.status != IReceivables.ReceivableStatus.Overdue
        ) revert FinancingNoRecourse(id);

        f.status = FinancingStatus.RecourseClaimed;
        emit RecourseClaimed(id, financier, f.holder, r.faceValue - r.repaid);
    }

    /* PROGRAMME */

    /// @inheritdoc IFinancing
    function setReviewThreshold(uint256 threshold) external restricted {
        FinancingStorage storage $ = _storage();
        uint256 previous = $.reviewThreshold;
        $.reviewThreshold = threshold;
        emit ReviewThresholdChanged(previous, threshold);
    }

    /// @inheritdoc IFinancing
    function pause() external restricted {
        if (_storage().paused) revert FinancingPaused();
        _storage().paused = true;
        emit ProgrammePaused(msg.sender);
    }

    /// @inheritdoc IFinancing
    function unpause() external restricted {
        if (!_storage().paused) revert FinancingNotPaused();
        _storage().paused = false;
        emit ProgrammeUnpaused(msg.sender);
    }

    /* VIEWS */

    /// @inheritdoc IFinancing
    function financing(bytes32 id) external view returns (Financing memory) {
        return _existing(id);
    }

    /// @inheritdoc IFinancing
    function offerOf(bytes32 id, OrgId financier) external view returns (Terms memory) {
        return _storage().offers[id][financier];
    }

    /// @inheritdoc IFinancing
    function greenTermsOf(bytes32 id, OrgId financier) external view returns (GreenTerms memory) {
        return _storage().green[id][financier];
    }

    /// @inheritdoc IFinancing
    function liveFinancing(uint256 receivable) external view returns (bytes32) {
        return _storage().live[receivable];
    }

    /// @inheritdoc IFinancing
    function reviewThreshold() external view returns (uint256) {
        return _storage().reviewThreshold;
    }

    /// @inheritdoc IFinancing
    function paused() external view returns (bool) {
        return _storage().paused;
    }

    /* INTERNALS */

    /// @dev The cash leg and the asset leg in one transaction: either both happen or neither.
    function _deliverVersusPayment(bytes32 id, Financing storage f) private {
        _financeable(f.receivable); // still confirmed, parties still active
        // the requester still holds it: a receivable passed on since the request is not sold from its new holder
        if (IERC721(address(_storage().receivables)).ownerOf(f.receivable) != f.holderAccount) {
            revert FinancingNotHolder(f.receivable, f.holderAccount);
        }
        if (!_isActiveOrg(f.terms.financier)) revert FinancingPartySuspended(f.terms.financier);
        f.fundedAt = uint64(block.timestamp);
        emit FinancingFunded(id, f.receivable, f.terms.financier, f.terms.advance);

        _pay(f.terms.financierAccount, f.holderAccount, f.terms.advance);
        _storage().receivables.assign(f.receivable, f.terms.financierAccount);
    }

    /// @dev The offer's green terms replace its advance and rate if the holder's score qualifies now.
    function _applyGreenTerms(bytes32 id, Financing storage f) private {
        GreenTerms storage green = _storage().green[id][f.terms.financier];
        if (green.advance == 0 || address(_storage().carbon) == address(0)) return;
        ICarbonLedger.CarbonScore memory score = _storage().carbon.carbonScore(f.holder);
        if (score.validUntil < block.timestamp || score.reductionBps < green.minScoreBps) return;
        f.terms.advance = green.advance;
        f.terms.discountBps = green.discountBps;
        emit GreenFinancing(id, f.holder, score.reductionBps, green.discountBps, green.advance);
    }

    function _pay(address from, address to, uint256 amount) private {
        SafeERC20.safeTransferFrom(_storage().cash, from, to, amount);
    }

    function _financeable(uint256 receivable) private view returns (IReceivables.Receivable memory r) {
        r = _storage().receivables.receivable(receivable);
        if (r.status != IReceivables.ReceivableStatus.Confirmed) revert FinancingReceivableNotConfirmed(receivable);
        if (!_isActiveOrg(r.debtor)) revert FinancingPartySuspended(r.debtor);
    }

    function _whenActive() private view {
        if (_storage().paused) revert FinancingPaused();
    }

    function _existing(bytes32 id) private view returns (Financing storage f) {
        f = _storage().financings[id];
        if (f.status == FinancingStatus.None) revert FinancingUnknown(id);
    }

    function _withStatus(bytes32 id, FinancingStatus expected) private view returns (Financing storage f) {
        f = _existing(id);
        if (f.status != expected) revert FinancingWrongStatus(id, f.status);
    }
}
