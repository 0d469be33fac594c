// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title CustomsAttestations: customs declaration statuses, final at k of n oracle operators
/// @notice Customs oracle operators (organisations whose role is `CustomsOracle`) each read the
/// customs authority's feed and sign an EIP-712 `CustomsAttestation` per declaration status they
/// observe. Any active member may relay a signed attestation. Votes for a (declaration, status)
/// are tallied per (content commitment, status time), one vote per operator organisation; the
/// status is final when one tally reaches the threshold k. A declaration's current status is the
/// highest status finalised so far: it only moves forward (customs may skip `Inspected`).
/// @dev The EIP-712 domain is name "tradeledger CustomsAttestations", version "1", this chain's id
/// and this contract's address, so a signature is valid on one deployment of one chain only.
/// The type is `CustomsAttestation(address operator,bytes32 declarationId,uint8 status,
/// bytes32 contentCommitment,uint64 statusAt,uint64 deadline)`.
/// @dev Warning: nothing finalised is ever overwritten. Disagreeing operators are recorded and
/// the declaration is flagged `conflicted`; resolving a conflict is an off-chain matter.
interface ICustomsAttestations {
    /* TYPES */

    /// @notice A customs declaration's status. The order is the order of the customs procedure.
    enum DeclarationStatus {
        None,
        Declared,
        Inspected,
        Released,
        Cleared
    }

    /// @notice What an operator signs.
    /// @param operator The signing account; one of the accounts of a customs oracle organisation.
    /// @param declarationId `declarationId(office, number)`.
    /// @param status The status the operator observed (not `None`).
    /// @param contentCommitment A salted commitment to the declaration's content, computed off
    /// chain: the contract never sees the plaintext.
    /// @param statusAt When customs set the status (Unix seconds, from the authority's feed).
    /// @param deadline The last timestamp at which the attestation may be recorded.
    struct Attestation {
        address operator;
        bytes32 declarationId;
        DeclarationStatus status;
        bytes32 contentCommitment;
        uint64 statusAt;
        uint64 deadline;
    }

    /// @notice A declaration's current state: its highest finalised status.
    /// @param status `None` until a status is finalised.
    /// @param contentCommitment The agreed content commitment of that status.
    /// @param statusAt When customs set that status, as agreed by the operators.
    /// @param finalisedAt The block timestamp of that status's finalisation.
    /// @param conflicted Whether operators ever disagreed on this declaration, or its content
    /// commitment changed between finalised statuses.
    struct Declaration {
        DeclarationStatus status;
        bytes32 contentCommitment;
        uint64 statusAt;
        uint64 finalisedAt;
        bool conflicted;
    }

    /// @notice How one status of a declaration was finalised (all zero while it is not).
    struct Finalisation {
        bytes32 contentCommitment;
        uint64 statusAt;
        uint64 finalisedAt;
        uint256 count;
    }

    /* EVENTS */

    /// @notice Operator organisation `org` attested `status` of a declaration, signed by
    /// `operator`; `count` is the tally of (`contentCommitment`, `statusAt`) including this vote.
    event CustomsAttestationRecorded(
        bytes32 indexed declarationId,
        DeclarationStatus indexed status,
        OrgId indexed org,
        address operator,
        bytes32 contentCommitment,
        uint64 statusAt,
        uint256 count
    );
    /// @notice Organisation `org` attested (`contentCommitment`, `statusAt`) for a status another
    /// operator attested as (`otherCommitment`, `otherStatusAt`); the declaration is now flagged
    /// `conflicted`. Both votes stay recorded, each in its own tally.
    event CustomsConflictRecorded(
        bytes32 indexed declarationId,
        DeclarationStatus indexed status,
        OrgId indexed org,
        bytes32 contentCommitment,
        uint64 statusAt,
        bytes32 otherCommitment,
        uint64 otherStatusAt
    );
    /// @notice `count` operator organisations (the threshold) agreed on `status` with this content
    /// commitment and status time; the status is final.
    event DeclarationStatusFinalised(
        bytes32 indexed declarationId,
        DeclarationStatus indexed status,
        bytes32 contentCommitment,
        uint64 statusAt,
        uint256 count
    );
    /// @notice `status` was finalised with a content commitment different from that of the
    /// declaration's earlier finalised status (`previousCommitment`): the declared content changed.
    /// The declaration is now flagged `conflicted`.
    event DeclarationContentChanged(
        bytes32 indexed declarationId,
        DeclarationStatus indexed status,
        bytes32 previousCommitment,
        bytes32 contentCommitment
    );
    /// @notice The number of agreeing operator organisations that finalises a status is now `threshold`.
    event CustomsThresholdSet(uint8 threshold);

    /* ERRORS */

    /// @notice The status is `None`, or the declaration id, the content commitment or the status
    /// time is zero.
    error CustomsInvalidAttestation();
    /// @notice The attestation's deadline has passed.
    error CustomsAttestationExpired(uint64 deadline);
    /// @notice The signature does not recover to `operator` under this contract's EIP-712 domain
    /// (wrong key, chain id or contract; or a malleable high-s or malformed signature, for which
    /// `recovered` is zero).
    error CustomsBadSignature(address operator, address recovered);
    /// @notice `operator` is no account of an active organisation whose role is CustomsOracle.
    error CustomsUnknownOperator(address operator);
    /// @notice Operator organisation `org` has attested this status of this declaration already
    /// (with any of its accounts); a replayed signature ends here too.
    error CustomsAlreadyAttested(bytes32 declarationId, DeclarationStatus status, OrgId org);
    /// @notice A threshold must be at least 2 (one operator alone never finalises).
    error CustomsThresholdTooLow(uint8 threshold);
    /// @notice `attestMany` needs one signature per attestation.
    error CustomsBatchLengthMismatch(uint256 attestations, uint256 signatures);
    /// @notice `attestMany` was given no attestation.
    error CustomsEmptyBatch();

    /* ATTESTATION (any active member relays) */

    /// @notice Records `a`, signed by `a.operator`, and finalises its status when its tally reaches
    /// the threshold.
    /// @dev The caller must be an active member (it only relays); the operator is checked through
    /// the signature. Reverts with the errors above; see the contract's NatSpec for the rules.
    function attest(Attestation calldata a, bytes calldata signature) external;

    /// @notice `attest` for each pair, in order; all or nothing.
    function attestMany(Attestation[] calldata attestations, bytes[] calldata signatures) external;

    /* GOVERNANCE */

    /// @notice Sets the threshold k. ADMIN only, i.e. through dual control.
    /// @dev A tally already at or above a lowered threshold finalises on its next vote.
    function setThreshold(uint8 k) external;

    /* VIEWS */

    /// @notice The declaration's current state (all zero when nothing is finalised yet).
    function declaration(bytes32 id) external view returns (Declaration memory);

    /// @notice How `status` of declaration `id` was finalised (all zero while it is not).
    function finalisation(bytes32 id, DeclarationStatus status) external view returns (Finalisation memory);

    /// @notice The number of operator organisations that attested `status` of `id` with this
    /// content commitment and status time.
    function tally(bytes32 id, DeclarationStatus status, bytes32 contentCommitment, uint64 statusAt)
        external
        view
        returns (uint256);

    /// @notice Whether operator organisation `org` attested `status` of `id` (with any content).
    function hasAttested(bytes32 id, DeclarationStatus status, OrgId org) external view returns (bool);

    /// @notice The number of agreeing operator organisations that finalises a status.
    function threshold() external view returns (uint8);

    /// @notice The EIP-712 digest an operator signs for `a` (for off-chain tools).
    function attestationDigest(Attestation calldata a) external view returns (bytes32);

    /// @notice A declaration's id: `keccak256(abi.encode("tradeledger.customs.v1", office, number))`.
    /// @dev The strings are hashed as given: callers agree on their canonical form off chain.
    function declarationId(string calldata office, string calldata number) external pure returns (bytes32);
}
