// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {DocumentId, OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title DocumentRegistry
/// @notice Append-only anchors of off-chain documents; see {IDocumentRegistry}.
contract DocumentRegistry is IDocumentRegistry, MemberGated {
    /* STORAGE */

    struct Batch {
        OrgId issuer;
        uint64 anchoredAt;
        uint32 count;
    }

    /// @custom:storage-location erc7201:tradeledger.storage.DocumentRegistry
    struct DocumentRegistryStorage {
        mapping(DocumentId id => Document) documents;
        mapping(bytes32 root => Batch) batches;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.DocumentRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x0767686e1020e3c1edc25498487c9e2ac93848cf7a606ddf2378717d9e154900;

    function _storage() private pure returns (DocumentRegistryStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry) external initializer {
        __MemberGated_init(authority, registry);
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* WRITES */

    /// @inheritdoc IDocumentRegistry
    function anchor(DocumentType docType, bytes32 numberHash, bytes32 commitment, DocumentId[] calldata refs)
        external
        restricted
        returns (DocumentId id)
    {
        (OrgId issuer,) = _member();
        id = documentId(issuer, docType, numberHash);
        _store(id, docType, issuer, commitment, DocumentId.wrap(0), 1, refs);
    }

    /// @inheritdoc IDocumentRegistry
    function amend(DocumentId previous, bytes32 commitment, DocumentId[] calldata refs)
        external
        restricted
        returns (DocumentId id)
    {
        (OrgId caller,) = _member();
        Document storage prior = _existing(previous);
        if (prior.issuer != caller) revert DocumentNotIssuer(previous, prior.issuer, caller);
        if (DocumentId.unwrap(prior.supersededBy) != 0) revert DocumentSuperseded(previous, prior.supersededBy);

        uint32 nextVersion = prior.version + 1;
        id = DocumentId.wrap(keccak256(abi.encode(previous, nextVersion)));
        prior.supersededBy = id;
        _store(id, prior.docType, caller, commitment, previous, nextVersion, refs);
    }

    /// @inheritdoc IDocumentRegistry
    function anchorBatch(DocumentType docType, bytes32 root, uint32 count) external restricted {
        (OrgId issuer,) = _member();
        if (docType == DocumentType.None || root == bytes32(0) || count == 0) revert DocumentInvalid();
        Batch storage existing = _storage().batches[root];
        if (existing.anchoredAt != 0) revert DocumentBatchAlreadyAnchored(root);

        _storage().batches[root] = Batch({issuer: issuer, anchoredAt: uint64(block.timestamp), count: count});
        emit BatchAnchored(root, issuer, docType, count);
    }

    /* VIEWS */

    /// @inheritdoc IDocumentRegistry
    function document(DocumentId id) external view returns (Document memory) {
        return _existing(id);
    }

    /// @inheritdoc IDocumentRegistry
    function exists(DocumentId id) public view returns (bool) {
        return _storage().documents[id].docType != DocumentType.None;
    }

    /// @inheritdoc IDocumentRegistry
    function documentId(OrgId issuer, DocumentType docType, bytes32 numberHash) public pure returns (DocumentId) {
        return DocumentId.wrap(keccak256(abi.encode(issuer, docType, numberHash)));
    }

    /// @inheritdoc IDocumentRegistry
    function batch(bytes32 root) external view returns (OrgId issuer, uint64 anchoredAt, uint32 count) {
        Batch storage b = _storage().batches[root];
        return (b.issuer, b.anchoredAt, b.count);
    }

    /* INTERNALS */

    function _store(
        DocumentId id,
        DocumentType docType,
        OrgId issuer,
        bytes32 commitment,
        DocumentId previous,
        uint32 version_,
        DocumentId[] calldata refs
    ) private {
        if (docType == DocumentType.None || commitment == bytes32(0)) revert DocumentInvalid();
        if (exists(id)) revert DocumentAlreadyAnchored(id);
        for (uint256 i = 0; i < refs.length; ++i) {
            if (!exists(refs[i])) revert DocumentUnknown(refs[i]);
        }

        Document storage doc = _storage().documents[id];
        doc.docType = docType;
        doc.issuer = issuer;
        doc.commitment = commitment;
        doc.previous = previous;
        doc.version = version_;
        doc.anchoredAt = uint64(block.timestamp);
        doc.refs = refs;
        emit DocumentAnchored(id, issuer, docType, commitment, previous, version_, refs);
    }

    function _existing(DocumentId id) private view returns (Document storage doc) {
        doc = _storage().documents[id];
        if (doc.docType == DocumentType.None) revert DocumentUnknown(id);
    }
}
