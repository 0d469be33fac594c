// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDeviceRegistry} from "../interfaces/IDeviceRegistry.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title DeviceRegistry
/// @notice IoT devices and their key history; see {IDeviceRegistry}.
contract DeviceRegistry is IDeviceRegistry, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.DeviceRegistry
    struct DeviceRegistryStorage {
        mapping(bytes32 id => Device) devices;
        mapping(bytes32 id => mapping(address signer => KeyRecord)) keys;
        mapping(address signer => bytes32 id) deviceOf;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.DeviceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xf071b63865039fd9978d7bc5fa608988896ac04fdf0c8f45772f537f28d27800;

    function _storage() private pure returns (DeviceRegistryStorage storage $) {
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

    /// @inheritdoc IDeviceRegistry
    function registerDevice(bytes32 id, DeviceKind kind, bytes32 binding, address signer) external restricted {
        (OrgId owner,) = _member();
        DeviceRegistryStorage storage $ = _storage();
        if (id == bytes32(0) || kind == DeviceKind.None || signer == address(0)) revert DeviceInvalid();
        if ($.devices[id].status != DeviceStatus.None) revert DeviceAlreadyRegistered(id);
        _claimSigner(signer, id);

        $.devices[id] = Device({
            owner: owner,
            kind: kind,
            status: DeviceStatus.Active,
            generation: 0,
            registeredAt: uint64(block.timestamp),
            signer: signer,
            binding: binding
        });
        $.keys[id][signer] = KeyRecord({generation: 0, validFrom: uint64(block.timestamp), revokedAt: 0});
        emit DeviceRegistered(id, owner, kind, binding, signer);
    }

    /// @inheritdoc IDeviceRegistry
    function rotateKey(bytes32 id, address signer) external restricted {
        Device storage d = _owned(id);
        if (signer == address(0)) revert DeviceInvalid();
        _claimSigner(signer, id);
        DeviceRegistryStorage storage $ = _storage();

        address previous = d.signer;
        $.keys[id][previous].revokedAt = uint64(block.timestamp);
        d.generation += 1;
        d.signer = signer;
        $.keys[id][signer] = KeyRecord({generation: d.generation, validFrom: uint64(block.timestamp), revokedAt: 0});
        emit DeviceKeyRotated(id, previous, signer, d.generation);
    }

    /// @inheritdoc IDeviceRegistry
    function rebind(bytes32 id, bytes32 binding) external restricted {
        Device storage d = _owned(id);

        d.binding = binding;
        emit DeviceRebound(id, binding);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeDevice(bytes32 id) external restricted {
        Device storage d = _owned(id);

        d.status = DeviceStatus.Revoked;
        _storage().keys[id][d.signer].revokedAt = uint64(block.timestamp);
        emit DeviceRevoked(id, uint64(block.timestamp));
    }

    /* VIEWS */

    /// @inheritdoc IDeviceRegistry
    function device(bytes32 id) external view returns (Device memory) {
        Device storage d = _storage().devices[id];
        if (d.status == DeviceStatus.None) revert DeviceUnknown(id);
        return d;
    }

    /// @inheritdoc IDeviceRegistry
    function keyRecord(bytes32 id, address signer) external view returns (KeyRecord memory) {
        return _storage().keys[id][signer];
    }

    /// @inheritdoc IDeviceRegistry
    function isValidSigner(bytes32 id, address signer, uint64 timestamp) external view returns (bool) {
        DeviceRegistryStorage storage $ = _storage();
        if ($.devices[id].status != DeviceStatus.Active) return false;
        KeyRecord storage k = $.keys[id][signer];
        return k.validFrom != 0 && timestamp >= k.validFrom && (k.revokedAt == 0 || timestamp < k.revokedAt);
    }

    /* INTERNALS */

    function _owned(bytes32 id) private view returns (Device storage d) {
        (OrgId caller,) = _member();
        d = _storage().devices[id];
        if (d.status == DeviceStatus.None) revert DeviceUnknown(id);
        if (d.owner != caller) revert DeviceNotOwner(id, caller);
        if (d.status == DeviceStatus.Revoked) revert DeviceIsRevoked(id);
    }

    function _claimSigner(address signer, bytes32 id) private {
        bytes32 existing = _storage().deviceOf[signer];
        if (existing != bytes32(0)) revert DeviceSignerTaken(signer, existing);
        _storage().deviceOf[signer] = id;
    }
}
