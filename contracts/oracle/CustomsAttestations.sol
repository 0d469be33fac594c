// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ICustomsAttestations} from "../interfaces/ICustomsAttestations.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId, OrgRole, OrgStatus} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title CustomsAttestations
/// @notice Customs declaration statuses, final at k of n customs oracle organisations; see
/// {ICustomsAttestations}.
/// @dev Rules of `attest`, in the order they are checked:
/// 1. the caller (the relayer) is an active member;
/// 2. the attestation is well formed (`CustomsInvalidAttestation`) and not past its deadline
///    (`CustomsAttestationExpired`);
/// 3. the signature recovers to `a.operator` under this contract's EIP-712 domain, with a low s
///    (`CustomsBadSignature`);
/// 4. `a.operator` is an account of an active CustomsOracle organisation (`CustomsUnknownOperator`);
/// 5. that organisation has not attested this (declaration, status) yet (`CustomsAlreadyAttested`),
///    which also stops a replayed signature.
/// A vote that disagrees with another organisation's vote on the same (declaration, status) is
/// recorded in its own tally and flags the declaration `conflicted`.
contract CustomsAttestations is ICustomsAttestations, MemberGated, EIP712Upgradeable {
    /// @dev The votes on one status of one declaration.
    struct StatusVotes {
        mapping(OrgId org => bool) attested;
        mapping(bytes32 commitment => mapping(uint64 statusAt => uint256 count)) tally;
        // the first vote's (commitment, statusAt), and the first vote that differed from it
        bytes32 firstCommitment;
        uint64 firstStatusAt;
        bytes32 rivalCommitment;
        uint64 rivalStatusAt;
        Finalisation finalisation;
    }

    /// @custom:storage-location erc7201:tradeledger.storage.CustomsAttestations
    struct CustomsAttestationsStorage {
        uint8 threshold;
        mapping(bytes32 id => Declaration) declarations;
        mapping(bytes32 id => mapping(DeclarationStatus status => StatusVotes)) votes;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.CustomsAttestations")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x0f0eda9b24875a4eb7e21950913178cf765c0f8361cfe90e03cc2210ff935000;

    bytes32 private constant ATTESTATION_TYPEHASH = keccak256(
        "CustomsAttestation(address operator,bytes32 declarationId,uint8 status,bytes32 contentCommitment,uint64 statusAt,uint64 deadline)"
    );

    function _storage() private pure returns (CustomsAttestationsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry, uint8 k) external initializer {
        __MemberGated_init(authority, registry);
        __EIP712_init("tradeledger CustomsAttestations", "1");
        _setThreshold(k);
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* ATTESTATION */

    /// @inheritdoc ICustomsAttestations
    function attest(Attestation calldata a, bytes calldata signature) external restricted {
        _member();
        _attest(a, signature);
    }

    /// @inheritdoc ICustomsAttestations
    function attestMany(Attestation[] calldata attestations, bytes[] calldata signatures) external restricted {
        _member();
        if (attestations.length == 0) revert CustomsEmptyBatch();
        if (attestations.length != signatures.length) {
            revert CustomsBatchLengthMismatch(attestations.length, signatures.length);
        }
        for (uint256 i = 0; i < attestations.length; ++i) {
            _attest(attestations[i], signatures[i]);
        }
    }

    /* GOVERNANCE */

    /// @inheritdoc ICustomsAttestations
    function setThreshold(uint8 k) external restricted {
        _setThreshold(k);
    }

    /* VIEWS */

    /// @inheritdoc ICustomsAttestations
    function declaration(bytes32 id) external view returns (Declaration memory) {
        return _storage().declarations[id];
    }

    /// @inheritdoc ICustomsAttestations
    function finalisation(bytes32 id, DeclarationStatus status) external view returns (Finalisation memory) {
        return _storage().votes[id][status].finalisation;
    }

    /// @inheritdoc ICustomsAttestations
    function tally(bytes32 id, DeclarationStatus status, bytes32 contentCommitment, uint64 statusAt)
        external
        view
        returns (uint256)
    {
        return _storage().votes[id][status].tally[contentCommitment][statusAt];
    }

    /// @inheritdoc ICustomsAttestations
    function hasAttested(bytes32 id, DeclarationStatus status, OrgId org) external view returns (bool) {
        return _storage().votes[id][status].attested[org];
    }

    /// @inheritdoc ICustomsAttestations
    function threshold() external view returns (uint8) {
        return _storage().threshold;
    }

    /// @inheritdoc ICustomsAttestations
    function attestationDigest(Attestation calldata a) external view returns (bytes32) {
        return _digest(a);
    }

    /// @inheritdoc ICustomsAttestations
    function declarationId(string calldata office, string calldata number) external pure returns (bytes32) {
        return keccak256(abi.encode("tradeledger.customs.v1", office, number));
    }

    /* INTERNALS */

    function _attest(Attestation calldata a, bytes calldata signature) private {
        if (
            a.status == DeclarationStatus.None || a.declarationId == bytes32(0) || a.contentCommitment == bytes32(0)
                || a.statusAt == 0
        ) revert CustomsInvalidAttestation();
        if (block.timestamp > a.deadline) revert CustomsAttestationExpired(a.deadline);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(_digest(a), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != a.operator) {
            revert CustomsBadSignature(a.operator, recovered);
        }
        OrgId org = _operatorOrg(a.operator);
        StatusVotes storage v = _storage().votes[a.declarationId][a.status];
        if (v.attested[org]) revert CustomsAlreadyAttested(a.declarationId, a.status, org);

        v.attested[org] = true;
        uint256 count = ++v.tally[a.contentCommitment][a.statusAt];
        emit CustomsAttestationRecorded(
            a.declarationId, a.status, org, a.operator, a.contentCommitment, a.statusAt, count
        );

        _recordConflict(v, a, org);
        if (count >= _storage().threshold && v.finalisation.finalisedAt == 0) {
            _finalise(v, a, count);
        }
    }

    /// @dev Flags the declaration when this vote disagrees with another organisation's vote.
    function _recordConflict(StatusVotes storage v, Attestation calldata a, OrgId org) private {
        bytes32 otherCommitment;
        uint64 otherStatusAt;
        if (v.firstStatusAt == 0) {
            (v.firstCommitment, v.firstStatusAt) = (a.contentCommitment, a.statusAt);
            return;
        }
        if (v.firstCommitment == a.contentCommitment && v.firstStatusAt == a.statusAt) {
            if (v.rivalStatusAt == 0) return; // everyone agrees so far
            (otherCommitment, otherStatusAt) = (v.rivalCommitment, v.rivalStatusAt);
        } else {
            if (v.rivalStatusAt == 0) (v.rivalCommitment, v.rivalStatusAt) = (a.contentCommitment, a.statusAt);
            (otherCommitment, otherStatusAt) = (v.firstCommitment, v.firstStatusAt);
        }

        _storage().declarations[a.declarationId].conflicted = true;
        emit CustomsConflictRecorded(
            a.declarationId, a.status, org, a.contentCommitment, a.statusAt, otherCommitment, otherStatusAt
        );
    }

    /// @dev Finalises `a.status`; the declaration's current status only moves up.
    function _finalise(StatusVotes storage v, Attestation calldata a, uint256 count) private {
        Declaration storage d = _storage().declarations[a.declarationId];
        bytes32 previous = d.contentCommitment;
        bool contentChanged = d.status != DeclarationStatus.None && previous != a.contentCommitment;

        v.finalisation = Finalisation({
            contentCommitment: a.contentCommitment,
            statusAt: a.statusAt,
            finalisedAt: uint64(block.timestamp),
            count: count
        });
        if (a.status > d.status) {
            d.status = a.status;
            d.contentCommitment = a.contentCommitment;
            d.statusAt = a.statusAt;
            d.finalisedAt = uint64(block.timestamp);
        }
        emit DeclarationStatusFinalised(a.declarationId, a.status, a.contentCommitment, a.statusAt, count);

        if (contentChanged) {
            d.conflicted = true;
            emit DeclarationContentChanged(a.declarationId, a.status, previous, a.contentCommitment);
        }
    }

    /// @dev The organisation of `operator`; reverts unless it is an active customs oracle.
    function _operatorOrg(address operator) private view returns (OrgId org) {
        IParticipants registry = participants();
        org = registry.orgOf(operator);
        if (OrgId.unwrap(org) == bytes32(0)) revert CustomsUnknownOperator(operator);
        (OrgRole role, OrgStatus status,,,) = registry.organisation(org);
        if (role != OrgRole.CustomsOracle || status != OrgStatus.Active) revert CustomsUnknownOperator(operator);
    }

    function _digest(Attestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH,
                    a.operator,
                    a.declarationId,
                    uint8(a.status),
                    a.contentCommitment,
                    a.statusAt,
                    a.deadline
                )
            )
        );
    }

    function _setThreshold(uint8 k) private {
        if (k < 2) revert CustomsThresholdTooLow(k);
        _storage().threshold = k;
        emit CustomsThresholdSet(k);
    }
}
