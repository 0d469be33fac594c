// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";

import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {IPurchaseOrders} from "../interfaces/IPurchaseOrders.sol";
import {IReceivables} from "../interfaces/IReceivables.sol";
import {Currency, DocumentId, OrderId, OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title Receivables
/// @notice Invoices as ERC-721 receivables; see {IReceivables}.
contract Receivables is IReceivables, ERC721Upgradeable, MemberGated {
    /* STORAGE */

    /// @custom:storage-location erc7201:tradeledger.storage.Receivables
    struct ReceivablesStorage {
        IDocumentRegistry documents;
        IPurchaseOrders orders;
        mapping(uint256 id => Receivable) receivables;
        mapping(bytes32 fingerprint => uint256 id) byFingerprint;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.Receivables")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xcfada158c3923ae000c0e7eb8c767d046b6803869408aedc4d1f60d2f945d900;

    function _storage() private pure returns (ReceivablesStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(
        address authority,
        IParticipants registry,
        IDocumentRegistry documents,
        IPurchaseOrders orders
    ) external initializer {
        __MemberGated_init(authority, registry);
        __ERC721_init("tradeledger receivable", "TLR");
        ReceivablesStorage storage $ = _storage();
        $.documents = documents;
        $.orders = orders;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.1.0";
    }

    /* ISSUANCE */

    /// @inheritdoc IReceivables
    function issue(
        bytes32 invoiceNumberHash,
        OrderId order,
        DocumentId invoice,
        bytes32 fingerprint,
        uint256 faceValue,
        uint64 dueDate
    ) external restricted returns (uint256 id) {
        (OrgId creditor,) = _member();
        IPurchaseOrders.Order memory o = _storage().orders.order(order);
        id = receivableId(creditor, o.buyer, invoiceNumberHash);
        _checkIssuable(id, fingerprint, faceValue, dueDate);
        _requireInvoice(invoice, creditor);

        Receivable storage r = _storage().receivables[id];
        r.creditor = creditor;
        r.debtor = o.buyer;
        r.order = order;
        r.invoice = invoice;
        r.currency = o.currency;
        r.status = ReceivableStatus.Issued;
        r.issuedAt = uint64(block.timestamp);
        r.dueDate = dueDate;
        r.faceValue = faceValue;
        r.fingerprint = fingerprint;
        _storage().byFingerprint[fingerprint] = id;
        _emitIssued(id, r);

        _storage().orders.addInvoiced(order, creditor, faceValue); // reverts when the order total would be exceeded
        _safeMint(msg.sender, id);
    }

    /// @inheritdoc IReceivables
    function issueAccepted(
        OrgId creditor,
        address creditorAccount,
        OrgId debtor,
        Currency currency,
        uint256 faceValue,
        uint64 dueDate,
        bytes32 ref
    ) external restricted returns (uint256 id) {
        id = receivableId(creditor, debtor, ref);
        _checkIssuable(id, ref, faceValue, dueDate);

        Receivable storage r = _storage().receivables[id];
        r.creditor = creditor;
        r.debtor = debtor;
        r.currency = currency;
        r.status = ReceivableStatus.Confirmed;
        r.matchStatus = MatchStatus.Matched;
        r.issuedAt = uint64(block.timestamp);
        r.dueDate = dueDate;
        r.faceValue = faceValue;
        r.fingerprint = ref;
        _storage().byFingerprint[ref] = id;
        _emitIssued(id, r);
        emit ReceivableConfirmed(id, debtor, false);
        _safeMint(creditorAccount, id);
    }

    /* MATCHING AND CONFIRMATION */

    /// @inheritdoc IReceivables
    function attestMatch(uint256 id, MatchStatus status, DocumentId matchResult) external restricted {
        _member();
        Receivable storage r = _withStatus(id, ReceivableStatus.Issued);
        IDocumentRegistry documents = _storage().documents;
        if (status == MatchStatus.Pending || !documents.exists(matchResult)) {
            revert ReceivableInvalidDocument(matchResult);
        }
        if (documents.document(matchResult).docType != IDocumentRegistry.DocumentType.MatchResult) {
            revert ReceivableInvalidDocument(matchResult);
        }

        r.matchStatus = status;
        r.matchResult = matchResult;
        emit MatchAttested(id, status, matchResult);
    }

    /// @inheritdoc IReceivables
    function confirm(uint256 id, bool waiveDiscrepancies) external restricted {
        (OrgId caller,) = _member();
        Receivable storage r = _existing(id);
        if (r.debtor != caller) revert ReceivableNotDebtor(id, caller);
        if (r.status != ReceivableStatus.Issued) revert ReceivableWrongStatus(id, r.status);
        if (r.matchStatus == MatchStatus.Pending) revert ReceivableNotMatched(id);
        bool waived = r.matchStatus == MatchStatus.Discrepant;
        if (waived && !waiveDiscrepancies) revert ReceivableDiscrepant(id);

        r.status = ReceivableStatus.Confirmed;
        r.waived = waived;
        emit ReceivableConfirmed(id, caller, waived);
    }

    /* CIRCULATION */

    /// @inheritdoc IReceivables
    function split(uint256 id, uint256[] calldata amounts) external restricted returns (uint256[] memory children) {
        _member();
        Receivable storage r = _withStatus(id, ReceivableStatus.Confirmed);
        if (ownerOf(id) != msg.sender) revert ReceivableNotHolder(id, msg.sender);
        uint256 remaining = r.faceValue - r.repaid;
        uint256 sum = 0;
        bool positive = amounts.length >= 2;
        for (uint256 i = 0; i < amounts.length; ++i) {
            sum += amounts[i];
            positive = positive && amounts[i] > 0;
        }
        if (!positive || sum != remaining) revert ReceivableSplitNotConserved(id, sum, remaining);

        r.status = ReceivableStatus.Split;
        children = new uint256[](amounts.length);
        for (uint256 i = 0; i < amounts.length; ++i) {
            children[i] = uint256(keccak256(abi.encode(id, i)));
            Receivable storage child = _storage().receivables[children[i]];
            child.creditor = r.creditor;
            child.debtor = r.debtor;
            child.order = r.order;
            child.invoice = r.invoice;
            child.currency = r.currency;
            child.status = ReceivableStatus.Confirmed;
            child.matchStatus = r.matchStatus;
            child.waived = r.waived;
            child.issuedAt = uint64(block.timestamp);
            child.dueDate = r.dueDate;
            child.faceValue = amounts[i];
            child.parent = id;
            child.matchResult = r.matchResult;
        }
        emit ReceivableSplit(id, children, amounts);

        _burn(id);
        for (uint256 i = 0; i < children.length; ++i) {
            _safeMint(msg.sender, children[i]);
        }
    }

    /// @notice ERC-721 transfer, limited to confirmed receivables and member accounts.
    function transferFrom(address from, address to, uint256 id) public override restricted {
        _member();
        super.transferFrom(from, to, id);
    }

    /// @notice ERC-721 approval, for members only.
    function approve(address to, uint256 id) public override restricted {
        _member();
        super.approve(to, id);
    }

    /// @notice ERC-721 operator approval, for members only.
    function setApprovalForAll(address operator, bool approved) public override restricted {
        _member();
        super.setApprovalForAll(operator, approved);
    }

    /* SETTLEMENT */

    /// @inheritdoc IReceivables
    function assign(uint256 id, address to) external restricted {
        _withStatus(id, ReceivableStatus.Confirmed);
        _update(to, id, address(0));
    }

    /// @inheritdoc IReceivables
    function recordRepayment(uint256 id, uint256 amount) external restricted {
        Receivable storage r = _existing(id);
        if (r.status != ReceivableStatus.Confirmed && r.status != ReceivableStatus.Overdue) {
            revert ReceivableWrongStatus(id, r.status);
        }
        uint256 outstanding = r.faceValue - r.repaid;
        if (amount == 0 || amount > outstanding) revert ReceivableOverRepaid(id, amount, outstanding);

        r.repaid += amount;
        if (r.repaid == r.faceValue) r.status = ReceivableStatus.Repaid;
        emit RepaymentRecorded(id, amount, r.repaid);
    }

    /// @inheritdoc IReceivables
    function markOverdue(uint256 id) external restricted {
        _member();
        Receivable storage r = _withStatus(id, ReceivableStatus.Confirmed);
        if (block.timestamp <= r.dueDate) revert ReceivableNotDue(id, r.dueDate);

        r.status = ReceivableStatus.Overdue;
        emit ReceivableOverdue(id, r.dueDate);
    }

    /* VIEWS */

    /// @inheritdoc IReceivables
    function receivable(uint256 id) external view returns (Receivable memory) {
        return _existing(id);
    }

    /// @inheritdoc IReceivables
    function holderOf(uint256 id) external view returns (OrgId) {
        return participants().orgOf(ownerOf(id));
    }

    /// @inheritdoc IReceivables
    function receivableId(OrgId creditor, OrgId debtor, bytes32 invoiceNumberHash) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(creditor, debtor, invoiceNumberHash)));
    }

    /// @inheritdoc IReceivables
    function byFingerprint(bytes32 fingerprint) external view returns (uint256) {
        return _storage().byFingerprint[fingerprint];
    }

    /* INTERNALS */

    /// @dev Every move of a token: mints and burns freely; transfers only of confirmed (or overdue)
    /// receivables, and only to accounts of active members.
    function _update(address to, uint256 id, address auth) internal override returns (address) {
        address from = _ownerOf(id);
        if (from != address(0) && to != address(0)) {
            ReceivableStatus status = _storage().receivables[id].status;
            if (status != ReceivableStatus.Confirmed && status != ReceivableStatus.Overdue) {
                revert ReceivableWrongStatus(id, status);
            }
            if (!participants().isActiveMember(to)) revert ReceivableInvalidReceiver(to);
        }
        return super._update(to, id, auth);
    }

    function _checkIssuable(uint256 id, bytes32 fingerprint, uint256 faceValue, uint64 dueDate) private view {
        ReceivablesStorage storage $ = _storage();
        if ($.receivables[id].status != ReceivableStatus.None) revert ReceivableAlreadyIssued(id);
        uint256 existing = $.byFingerprint[fingerprint];
        if (existing != 0) revert ReceivableDuplicateInvoice(fingerprint, existing);
        if (faceValue == 0 || dueDate <= block.timestamp || fingerprint == bytes32(0)) revert ReceivableInvalidTerms();
    }

    function _emitIssued(uint256 id, Receivable storage r) private {
        emit ReceivableIssued(
            id, r.creditor, r.debtor, r.order, r.invoice, r.currency, r.faceValue, r.dueDate, r.fingerprint
        );
    }

    function _existing(uint256 id) private view returns (Receivable storage r) {
        r = _storage().receivables[id];
        if (r.status == ReceivableStatus.None) revert ReceivableUnknown(id);
    }

    function _withStatus(uint256 id, ReceivableStatus expected) private view returns (Receivable storage r) {
        r = _existing(id);
        if (r.status != expected) revert ReceivableWrongStatus(id, r.status);
    }

    function _requireInvoice(DocumentId invoice, OrgId creditor) private view {
        IDocumentRegistry documents = _storage().documents;
        if (!documents.exists(invoice)) revert ReceivableInvalidDocument(invoice);
        IDocumentRegistry.Document memory doc = documents.document(invoice);
        if (doc.docType != IDocumentRegistry.DocumentType.Invoice || doc.issuer != creditor) {
            revert ReceivableInvalidDocument(invoice);
        }
    }

    /// @dev ERC-165 of ERC-721 only.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
