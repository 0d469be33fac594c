// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ICarbonLedger} from "../interfaces/ICarbonLedger.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title CarbonLedger
/// @notice Anchored reading batches; see {ICarbonLedger}. Emission factors, statements and their
/// verification join this contract next.
contract CarbonLedger is ICarbonLedger, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.CarbonLedger
    struct CarbonLedgerStorage {
        mapping(bytes32 root => Batch) batches;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.CarbonLedger")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x9526762c7b13e792fe92e4cad97f325401a281b6576566f435284bfdf607ed00;

    function _storage() private pure returns (CarbonLedgerStorage storage $) {
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

    /// @inheritdoc ICarbonLedger
    function anchorReadings(bytes32 root, uint32 count, uint64 periodStart, uint64 periodEnd) external restricted {
        (OrgId oracle,) = _member();
        if (root == bytes32(0) || count == 0 || periodEnd < periodStart) revert CarbonInvalidBatch();
        Batch storage b = _storage().batches[root];
        if (b.anchoredAt != 0) revert CarbonBatchAlreadyAnchored(root);

        b.oracle = oracle;
        b.count = count;
        b.periodStart = periodStart;
        b.periodEnd = periodEnd;
        b.anchoredAt = uint64(block.timestamp);
        emit ReadingBatchAnchored(root, oracle, count, periodStart, periodEnd);
    }

    /// @inheritdoc ICarbonLedger
    function batch(bytes32 root) external view returns (Batch memory b) {
        b = _storage().batches[root];
        if (b.anchoredAt == 0) revert CarbonBatchUnknown(root);
    }

    /// @inheritdoc ICarbonLedger
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
    ) external view returns (bool) {
        if (_storage().batches[root].anchoredAt == 0) return false;
        bytes32 leaf = keccak256(
            bytes.concat(keccak256(abi.encode(deviceId, sequence, timestamp, metric, valueMilli, unit, binding)))
        );
        return MerkleProof.verify(proof, root, leaf);
    }
}
