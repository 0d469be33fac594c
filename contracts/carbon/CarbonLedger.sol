// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ICarbonLedger} from "../interfaces/ICarbonLedger.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title CarbonLedger
/// @notice Anchored reading batches, emission-factor sets and statements; see {ICarbonLedger}.
contract CarbonLedger is ICarbonLedger, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.CarbonLedger
    struct CarbonLedgerStorage {
        mapping(bytes32 root => Batch) batches;
        mapping(bytes32 hash => bool) factorSets;
        mapping(bytes32 id => Statement) statements;
        mapping(OrgId org => CarbonScore) scores;
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
        return "1.1.0";
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
    function registerFactorSet(bytes32 hash, string calldata version, string calldata uri) external restricted {
        _member();
        if (_storage().factorSets[hash]) revert CarbonFactorSetExists(hash);

        _storage().factorSets[hash] = true;
        emit FactorSetRegistered(hash, version, uri);
    }

    /// @inheritdoc ICarbonLedger
    function submitStatement(
        uint8 scope,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 subject,
        uint256 gramsCO2e,
        bytes32 factorSet,
        bytes32[] calldata batches,
        bytes32 resultHash
    ) external restricted returns (bytes32 id) {
        (OrgId org,) = _member();
        CarbonLedgerStorage storage $ = _storage();
        if (scope < 1 || scope > 3 || periodEnd < periodStart || batches.length == 0) revert CarbonInvalidStatement();
        if (!$.factorSets[factorSet]) revert CarbonFactorSetUnknown(factorSet);
        for (uint256 i = 0; i < batches.length; ++i) {
            if ($.batches[batches[i]].anchoredAt == 0) revert CarbonBatchUnknown(batches[i]);
        }
        id = keccak256(abi.encode(org, scope, periodStart, periodEnd, subject));
        if ($.statements[id].status != StatementStatus.None) revert CarbonStatementExists(id);

        Statement storage s = $.statements[id];
        s.org = org;
        s.scope = scope;
        s.status = StatementStatus.Submitted;
        s.periodStart = periodStart;
        s.periodEnd = periodEnd;
        s.gramsCO2e = gramsCO2e;
        s.subject = subject;
        s.factorSet = factorSet;
        s.resultHash = resultHash;
        s.batches = batches;
        emit StatementSubmitted(id, org, scope, gramsCO2e, factorSet, batches);
    }

    /// @inheritdoc ICarbonLedger
    function verifyStatement(bytes32 id) external restricted {
        (OrgId verifier,) = _member();
        Statement storage s = _storage().statements[id];
        if (s.status == StatementStatus.None) revert CarbonStatementUnknown(id);
        if (s.status != StatementStatus.Submitted) revert CarbonStatementNotSubmitted(id);

        s.status = StatementStatus.Verified;
        emit StatementVerified(id, verifier);
    }

    /// @inheritdoc ICarbonLedger
    function statement(bytes32 id) external view returns (Statement memory s) {
        s = _storage().statements[id];
        if (s.status == StatementStatus.None) revert CarbonStatementUnknown(id);
    }

    /// @inheritdoc ICarbonLedger
    function reductionOf(bytes32 current, bytes32 baseline) public view returns (uint256 grams) {
        CarbonLedgerStorage storage $ = _storage();
        Statement storage c = $.statements[current];
        Statement storage b = $.statements[baseline];
        if (
            c.status != StatementStatus.Verified || b.status != StatementStatus.Verified
                || c.org != b.org || c.scope != b.scope || c.subject != b.subject
                || c.periodEnd - c.periodStart != b.periodEnd - b.periodStart || b.periodEnd >= c.periodStart
                || b.gramsCO2e == 0
        ) revert CarbonNotComparable(current, baseline);
        return b.gramsCO2e > c.gramsCO2e ? b.gramsCO2e - c.gramsCO2e : 0;
    }

    /// @inheritdoc ICarbonLedger
    function setCarbonScore(bytes32 current, bytes32 baseline) external restricted {
        (OrgId verifier,) = _member();
        uint256 reduction = reductionOf(current, baseline);
        Statement storage c = _storage().statements[current];
        if (c.org == verifier) revert CarbonSelfScoring(verifier);
        uint16 bps = uint16(reduction * 10_000 / _storage().statements[baseline].gramsCO2e);
        uint64 validUntil = c.periodEnd + 365 days;
        _storage().scores[c.org] = CarbonScore(bps, validUntil, current, baseline);
        emit CarbonScoreSet(c.org, bps, validUntil, current, baseline);
    }

    /// @inheritdoc ICarbonLedger
    function carbonScore(OrgId org) external view returns (CarbonScore memory) {
        return _storage().scores[org];
    }

    /// @inheritdoc ICarbonLedger
    function factorSetRegistered(bytes32 hash) external view returns (bool) {
        return _storage().factorSets[hash];
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
