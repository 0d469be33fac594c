// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title CarbonLedger: anchored readings, emission-factor sets and emission statements
/// @notice The IoT oracle anchors the Merkle root (OpenZeppelin StandardMerkleTree) of each batch
/// of verified readings with their count and period. Anyone holding a reading and its proof
/// checks it with `verifyReading`, without trusting the platform. The operator registers each
/// versioned emission-factor set by the hash of its data file; an organisation's emission
/// statement cites the batches it was computed from and the factor set, so anyone recomputes
/// it; a carbon verifier marks it verified.
/// @dev Leaf: `keccak256(bytes.concat(keccak256(abi.encode(deviceId, sequence, timestamp, metric,
/// valueMilli, unit, binding))))`, the StandardMerkleTree encoding of
/// `(bytes32, uint64, uint64, string, int256, string, bytes32)`.
interface ICarbonLedger {
    struct Batch {
        OrgId oracle;
        uint32 count;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 anchoredAt;
    }

    enum StatementStatus {
        None,
        Submitted,
        Verified
    }

    /// @notice Emissions of one organisation, scope and period (optionally for one order or shipment).
    struct Statement {
        OrgId org;
        uint8 scope;
        StatementStatus status;
        uint64 periodStart;
        uint64 periodEnd;
        uint256 gramsCO2e;
        bytes32 subject;
        bytes32 factorSet;
        bytes32 resultHash;
        bytes32[] batches;
    }

    /// @notice An organisation's verified carbon score: its verified reduction against a baseline,
    /// in basis points of the baseline (0 to 10,000), valid for a year after the statement's period.
    struct CarbonScore {
        uint16 reductionBps;
        uint64 validUntil;
        bytes32 current;
        bytes32 baseline;
    }

    event FactorSetRegistered(bytes32 indexed hash, string version, string uri);
    event StatementSubmitted(
        bytes32 indexed id, OrgId indexed org, uint8 scope, uint256 gramsCO2e, bytes32 factorSet, bytes32[] batches
    );
    event StatementVerified(bytes32 indexed id, OrgId indexed verifier);

    error CarbonFactorSetExists(bytes32 hash);
    error CarbonFactorSetUnknown(bytes32 hash);
    /// @notice Scope must be 1, 2 or 3; the period must not end before it starts; batches are needed.
    error CarbonInvalidStatement();
    error CarbonStatementExists(bytes32 id);
    error CarbonStatementUnknown(bytes32 id);
    error CarbonStatementNotSubmitted(bytes32 id);
    /// @notice A reduction needs two verified statements of the same organisation, scope, subject and
    /// period length, the baseline's period ending before the current one starts, with a non-zero baseline.
    error CarbonNotComparable(bytes32 current, bytes32 baseline);
    /// @notice A carbon verifier scores other organisations, never its own.
    error CarbonSelfScoring(OrgId org);

    event CarbonScoreSet(
        OrgId indexed org, uint16 reductionBps, uint64 validUntil, bytes32 current, bytes32 baseline
    );

    event ReadingBatchAnchored(
        bytes32 indexed root, OrgId indexed oracle, uint32 count, uint64 periodStart, uint64 periodEnd
    );

    /// @notice This root is anchored already (an oracle retrying treats this as success).
    error CarbonBatchAlreadyAnchored(bytes32 root);
    /// @notice A batch needs a root, at least one reading and a period that does not end before it starts.
    error CarbonInvalidBatch();
    error CarbonBatchUnknown(bytes32 root);

    /// @notice The operator registers a versioned emission-factor set by its file's hash.
    function registerFactorSet(bytes32 hash, string calldata version, string calldata uri) external;

    /// @notice An organisation states its emissions; the id is
    /// `keccak256(abi.encode(org, scope, periodStart, periodEnd, subject))`.
    function submitStatement(
        uint8 scope,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 subject,
        uint256 gramsCO2e,
        bytes32 factorSet,
        bytes32[] calldata batches,
        bytes32 resultHash
    ) external returns (bytes32 id);

    /// @notice A carbon verifier marks a statement verified (after recomputing it).
    function verifyStatement(bytes32 id) external;

    function statement(bytes32 id) external view returns (Statement memory);

    /// @notice Grams CO2e by which the verified `current` statement is below the verified `baseline`
    /// (zero if it is not below); reverts `CarbonNotComparable` unless the two are comparable.
    function reductionOf(bytes32 current, bytes32 baseline) external view returns (uint256 grams);

    /// @notice A carbon verifier sets the organisation's score from a verified reduction.
    function setCarbonScore(bytes32 current, bytes32 baseline) external;

    /// @notice The organisation's carbon score (all zero if it has none).
    function carbonScore(OrgId org) external view returns (CarbonScore memory);

    function factorSetRegistered(bytes32 hash) external view returns (bool);

    /// @notice The IoT oracle anchors a batch of verified readings.
    function anchorReadings(bytes32 root, uint32 count, uint64 periodStart, uint64 periodEnd) external;

    function batch(bytes32 root) external view returns (Batch memory);

    /// @notice Whether a reading is in the anchored batch `root`, by its OpenZeppelin Merkle proof.
    function verifyReading(
        bytes32 root,
        bytes32[] calldata proof,
        bytes32 deviceId,
        uint64 sequence,
        uint64 timestamp,
        string calldata metric,
        int256 valueMilli,
        string calldata unit,
        bytes32 binding
    ) external view returns (bool);
}
