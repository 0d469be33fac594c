// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {DocumentId, OrgId} from "./Types.sol";

/// @title DocumentRegistry: append-only anchors of off-chain documents
/// @notice A document goes on chain only as a salted commitment
/// (`keccak256(abi.encode(salt, canonicalBytes))`) with its type, issuer, the
/// documents it refers to and its version links. Its bytes stay off chain, encrypted.
/// Anyone holding the document and its salt can check it against its anchor.
/// @dev Append only: a correction is a new version linked to the previous one, which is
/// marked superseded; nothing is ever overwritten or deleted.
interface IDocumentRegistry {
    enum DocumentType {
        None,
        PurchaseOrder,
        GoodsReceipt,
        Shipment,
        Invoice,
        MatchResult,
        CustomsDeclaration,
        Other
    }

    /// @notice One anchored document version.
    struct Document {
        DocumentType docType;
        OrgId issuer;
        bytes32 commitment;
        DocumentId previous;
        DocumentId supersededBy;
        uint32 version;
        uint64 anchoredAt;
        DocumentId[] refs;
    }

    /* EVENTS */

    /// @notice A document (or a new version of one, when `previous` is not zero) was anchored.
    event DocumentAnchored(
        DocumentId indexed id,
        OrgId indexed issuer,
        DocumentType indexed docType,
        bytes32 commitment,
        DocumentId previous,
        uint32 version,
        DocumentId[] refs
    );
    /// @notice A Merkle root over a batch of `count` document commitments was anchored.
    event BatchAnchored(bytes32 indexed root, OrgId indexed issuer, DocumentType docType, uint32 count);

    /* ERRORS */

    /// @notice This document (issuer, type and number) is anchored already.
    error DocumentAlreadyAnchored(DocumentId id);
    /// @notice No document has this id.
    error DocumentUnknown(DocumentId id);
    /// @notice `None` is not a document type, and a commitment cannot be zero.
    error DocumentInvalid();
    /// @notice Only the issuer of a document can correct it.
    error DocumentNotIssuer(DocumentId id, OrgId issuer, OrgId caller);
    /// @notice The document has a newer version; correct that one.
    error DocumentSuperseded(DocumentId id, DocumentId supersededBy);
    /// @notice This batch root is anchored already.
    error DocumentBatchAlreadyAnchored(bytes32 root);

    /* WRITES (active members) */

    /// @notice Anchors the first version of the caller organisation's document number `numberHash`.
    function anchor(DocumentType docType, bytes32 numberHash, bytes32 commitment, DocumentId[] calldata refs)
        external
        returns (DocumentId id);

    /// @notice Anchors a corrected version of `previous` (the caller's own, latest version).
    function amend(DocumentId previous, bytes32 commitment, DocumentId[] calldata refs)
        external
        returns (DocumentId id);

    /// @notice Anchors a Merkle root (OpenZeppelin `MerkleProof` standard) over `count` commitments.
    function anchorBatch(DocumentType docType, bytes32 root, uint32 count) external;

    /* VIEWS */

    /// @notice A document version; reverts with `DocumentUnknown` when there is none.
    function document(DocumentId id) external view returns (Document memory);

    /// @notice Whether a document version exists.
    function exists(DocumentId id) external view returns (bool);

    /// @notice The id the caller's organisation's first version of a document would get.
    function documentId(OrgId issuer, DocumentType docType, bytes32 numberHash) external pure returns (DocumentId);

    /// @notice Who anchored batch `root` and when (zero when unknown).
    function batch(bytes32 root) external view returns (OrgId issuer, uint64 anchoredAt, uint32 count);
}
