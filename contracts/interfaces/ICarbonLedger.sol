// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title CarbonLedger: anchored batches of sensor readings
/// @notice The IoT oracle anchors the Merkle root (OpenZeppelin StandardMerkleTree) of each batch
/// of verified readings with their count and period. Anyone holding a reading and its proof
/// checks it with `verifyReading`, without trusting the platform.
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

    event ReadingBatchAnchored(
        bytes32 indexed root, OrgId indexed oracle, uint32 count, uint64 periodStart, uint64 periodEnd
    );

    /// @notice This root is anchored already (an oracle retrying treats this as success).
    error CarbonBatchAlreadyAnchored(bytes32 root);
    /// @notice A batch needs a root, at least one reading and a period that does not end before it starts.
    error CarbonInvalidBatch();
    error CarbonBatchUnknown(bytes32 root);

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
