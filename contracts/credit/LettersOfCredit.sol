// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ILettersOfCredit} from "../interfaces/ILettersOfCredit.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {IReceivables} from "../interfaces/IReceivables.sol";
import {Currency, OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title LettersOfCredit
/// @notice Documentary credits under UCP 600; see {ILettersOfCredit}.
contract LettersOfCredit is ILettersOfCredit, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.LettersOfCredit
    struct LettersOfCreditStorage {
        IReceivables receivables;
        IERC20 cash;
        mapping(bytes32 id => Credit) credits;
        mapping(bytes32 id => mapping(uint32 number => Amendment)) amendments;
        mapping(bytes32 presentation => Presentation) presentations;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.LettersOfCredit")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x7b7487856538ac9690b8c7f6d866d3091ae8e7af4c619d68948d5e4adfaf9a00;

    function _storage() private pure returns (LettersOfCreditStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry, IReceivables receivables, IERC20 cash)
        external
        initializer
    {
        __MemberGated_init(authority, registry);
        _storage().receivables = receivables;
        _storage().cash = cash;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* ISSUANCE */

    /// @inheritdoc ILettersOfCredit
    function applyForCredit(
        bytes32 ref,
        OrgId issuingBank,
        OrgId advisingBank,
        OrgId beneficiary,
        Currency currency,
        Terms calldata terms
    ) external restricted returns (bytes32 id) {
        (OrgId applicant,) = _member();
        id = keccak256(abi.encode(applicant, ref));
        if (_storage().credits[id].status != CreditStatus.None) revert LcExists(id);
        if (!_isActiveOrg(issuingBank) || !_isActiveOrg(advisingBank) || !_isActiveOrg(beneficiary)) {
            revert LcInvalidTerms();
        }
        _checkTerms(terms);

        Credit storage c = _storage().credits[id];
        c.applicant = applicant;
        c.issuingBank = issuingBank;
        c.advisingBank = advisingBank;
        c.beneficiary = beneficiary;
        c.currency = currency;
        c.status = CreditStatus.Applied;
        c.terms = terms;
        emit CreditApplied(id, applicant, issuingBank, beneficiary);
    }

    /// @inheritdoc ILettersOfCredit
    function issue(bytes32 id) external restricted {
        Credit storage c = _step(id, CreditStatus.Applied);
        _onlyParty(id, c.issuingBank);
        _checkTerms(c.terms);
        c.status = CreditStatus.Issued;
        emit CreditIssued(id, c.issuingBank, c.terms.amount, c.currency, c.terms.expiry);
    }

    /// @inheritdoc ILettersOfCredit
    function advise(bytes32 id) external restricted {
        Credit storage c = _step(id, CreditStatus.Issued);
        _onlyParty(id, c.advisingBank);
        c.status = CreditStatus.Advised;
        emit CreditAdvised(id, c.advisingBank);
    }

    /* AMENDMENTS: binding only once the beneficiary accepts (UCP 600 Art. 10) */

    /// @inheritdoc ILettersOfCredit
    function proposeAmendment(bytes32 id, Terms calldata terms) external restricted returns (uint32 number) {
        Credit storage c = _live(id);
        _onlyParty(id, c.issuingBank);
        _checkTerms(terms);
        c.amendments += 1;
        number = c.amendments;
        _storage().amendments[id][number].terms = terms;
        emit AmendmentProposed(id, number, terms.termsHash);
    }

    /// @inheritdoc ILettersOfCredit
    function acceptAmendment(bytes32 id, uint32 number) external restricted {
        _member(); // members only, before anything about the credit is revealed
        Credit storage c = _live(id);
        _onlyParty(id, c.beneficiary);
        Amendment storage a = _pendingAmendment(id, number);
        if (a.terms.amount * (10_000 + a.terms.toleranceBps) / 10_000 < c.drawn) revert LcInvalidTerms();
        a.accepted = true;
        c.terms = a.terms;
        emit AmendmentAccepted(id, number);
    }

    /// @inheritdoc ILettersOfCredit
    function rejectAmendment(bytes32 id, uint32 number) external restricted {
        _member(); // members only, before anything about the credit is revealed
        Credit storage c = _live(id);
        _onlyParty(id, c.beneficiary);
        _pendingAmendment(id, number).rejected = true;
        emit AmendmentRejected(id, number);
    }

    /* PRESENTATION AND EXAMINATION */

    /// @inheritdoc ILettersOfCredit
    function present(bytes32 id, uint256 amount, bytes32 documents) external restricted returns (bytes32 presentation) {
        _member(); // members only, before anything about the credit is revealed
        Credit storage c = _step(id, CreditStatus.Advised);
        _onlyParty(id, c.beneficiary);
        if (block.timestamp > c.terms.expiry) revert LcExpiredCredit(id, c.terms.expiry);
        uint256 left = available(id);
        if (amount == 0 || amount > left || documents == bytes32(0)) revert LcExceedsAvailable(id, amount, left);

        presentation = keccak256(abi.encode(id, c.presentations));
        c.presentations += 1;
        Presentation storage p = _storage().presentations[presentation];
        p.credit = id;
        p.amount = amount;
        p.documents = documents;
        p.status = PresentationStatus.Presented;
        p.presentedAt = uint64(block.timestamp);
        emit DocumentsPresented(id, presentation, amount, documents);
    }

    /// @inheritdoc ILettersOfCredit
    function recordExamination(bytes32 presentation, bool complying, bytes32 report) external restricted {
        (Presentation storage p, Credit storage c) = _presentation(presentation, PresentationStatus.Presented);
        _onlyParty(p.credit, c.issuingBank);
        p.examination = report;
        p.status = complying ? PresentationStatus.Complying : PresentationStatus.Discrepant;
        emit PresentationExamined(presentation, complying, report);
    }

    /// @inheritdoc ILettersOfCredit
    function refuse(bytes32 presentation, bytes32 notice) external restricted {
        (Presentation storage p, Credit storage c) = _presentation(presentation, PresentationStatus.Discrepant);
        _onlyParty(p.credit, c.issuingBank);
        p.status = PresentationStatus.Refused;
        emit PresentationRefused(presentation, notice);
    }

    /// @inheritdoc ILettersOfCredit
    function waive(bytes32 presentation) external restricted {
        (Presentation storage p, Credit storage c) = _presentation(presentation, PresentationStatus.Refused);
        _onlyParty(p.credit, c.applicant);
        p.status = PresentationStatus.Waived;
        emit DiscrepanciesWaived(presentation, c.applicant);
    }

    /* SETTLEMENT */

    /// @inheritdoc ILettersOfCredit
    function honour(bytes32 presentation) external restricted {
        LettersOfCreditStorage storage $ = _storage();
        Presentation storage p = $.presentations[presentation];
        if (p.status == PresentationStatus.None) revert LcUnknownPresentation(presentation);
        if (p.status != PresentationStatus.Complying && p.status != PresentationStatus.Waived) {
            revert LcWrongPresentationStatus(presentation, p.status);
        }
        Credit storage c = $.credits[p.credit];
        _onlyParty(p.credit, c.issuingBank);
        uint256 left = available(p.credit);
        if (p.amount > left) revert LcExceedsAvailable(p.credit, p.amount, left);
        c.drawn += p.amount;
        address beneficiary = participants().accountsOf(c.beneficiary)[0];

        if (c.terms.payment == Payment.Sight) {
            p.status = PresentationStatus.Honoured;
            emit PresentationHonoured(presentation, c.beneficiary, p.amount);
            SafeERC20.safeTransferFrom($.cash, msg.sender, beneficiary, p.amount);
        } else {
            p.status = PresentationStatus.Accepted;
            uint64 due = uint64(block.timestamp) + uint64(c.terms.deferredDays) * 1 days;
            p.receivable = $.receivables.issueAccepted(
                c.beneficiary, beneficiary, c.issuingBank, c.currency, p.amount, due, presentation
            );
            emit DeferredPaymentAccepted(presentation, p.receivable, due);
        }
    }

    /// @inheritdoc ILettersOfCredit
    function expire(bytes32 id) external restricted {
        _member();
        Credit storage c = _existing(id);
        if (c.status != CreditStatus.Issued && c.status != CreditStatus.Advised) revert LcWrongStatus(id, c.status);
        if (block.timestamp <= c.terms.expiry) revert LcNotExpired(id, c.terms.expiry);
        c.status = CreditStatus.Expired;
        emit CreditExpired(id);
    }

    /// @notice The applicant withdraws its application, or the issuing bank cancels a credit not yet
    /// advised (an advised, irrevocable credit is cancelled only by an amendment the beneficiary accepts).
    function cancel(bytes32 id) external restricted {
        (OrgId caller,) = _member();
        Credit storage c = _existing(id);
        bool withdraws = c.status == CreditStatus.Applied && caller == c.applicant;
        bool cancels = (c.status == CreditStatus.Applied || c.status == CreditStatus.Issued) && caller == c.issuingBank;
        if (!withdraws && !cancels) {
            if (c.status != CreditStatus.Applied && c.status != CreditStatus.Issued) revert LcWrongStatus(id, c.status);
            revert LcNotParty(id, caller);
        }
        c.status = CreditStatus.Cancelled;
        emit CreditCancelled(id);
    }

    /* VIEWS */

    /// @inheritdoc ILettersOfCredit
    function credit(bytes32 id) external view returns (Credit memory) {
        return _existing(id);
    }

    /// @inheritdoc ILettersOfCredit
    function amendment(bytes32 id, uint32 number) external view returns (Amendment memory) {
        if (number == 0 || number > _existing(id).amendments) revert LcUnknownAmendment(id, number);
        return _storage().amendments[id][number];
    }

    /// @inheritdoc ILettersOfCredit
    function presentationOf(bytes32 presentation) external view returns (Presentation memory p) {
        p = _storage().presentations[presentation];
        if (p.status == PresentationStatus.None) revert LcUnknownPresentation(presentation);
    }

    /// @inheritdoc ILettersOfCredit
    function available(bytes32 id) public view returns (uint256) {
        Credit storage c = _existing(id);
        uint256 ceiling = c.terms.amount * (10_000 + c.terms.toleranceBps) / 10_000;
        return ceiling > c.drawn ? ceiling - c.drawn : 0;
    }

    /* INTERNALS */

    function _checkTerms(Terms memory terms) private view {
        if (
            terms.amount == 0 || terms.expiry <= block.timestamp || terms.latestShipment > terms.expiry
                || terms.presentationDays == 0 || terms.toleranceBps > 10_000
                || (terms.payment == Payment.Deferred && terms.deferredDays == 0)
        ) revert LcInvalidTerms();
    }

    function _existing(bytes32 id) private view returns (Credit storage c) {
        c = _storage().credits[id];
        if (c.status == CreditStatus.None) revert LcUnknown(id);
    }

    function _step(bytes32 id, CreditStatus expected) private view returns (Credit storage c) {
        c = _existing(id);
        if (c.status != expected) revert LcWrongStatus(id, c.status);
    }

    /// @dev Issued or advised, and not past its expiry.
    function _live(bytes32 id) private view returns (Credit storage c) {
        c = _existing(id);
        if (c.status != CreditStatus.Issued && c.status != CreditStatus.Advised) revert LcWrongStatus(id, c.status);
        if (block.timestamp > c.terms.expiry) revert LcExpiredCredit(id, c.terms.expiry);
    }

    function _onlyParty(bytes32 id, OrgId party) private view {
        (OrgId caller,) = _member();
        if (caller != party) revert LcNotParty(id, caller);
    }

    function _pendingAmendment(bytes32 id, uint32 number) private view returns (Amendment storage a) {
        if (number == 0 || number > _storage().credits[id].amendments) revert LcUnknownAmendment(id, number);
        a = _storage().amendments[id][number];
        if (a.accepted || a.rejected) revert LcAmendmentSettled(id, number);
    }

    function _presentation(bytes32 presentation, PresentationStatus expected)
        private
        view
        returns (Presentation storage p, Credit storage c)
    {
        p = _storage().presentations[presentation];
        if (p.status == PresentationStatus.None) revert LcUnknownPresentation(presentation);
        if (p.status != expected) revert LcWrongPresentationStatus(presentation, p.status);
        c = _storage().credits[p.credit];
    }
}
