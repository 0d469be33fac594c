// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title DeviceRegistry: IoT devices, their signing keys and what they are bound to
/// @notice A member registers its devices (meters, reefer containers, trucks) with the address
/// of the key each device signs its readings with, and the facility or shipment it measures.
/// Keys rotate (the old key stays in the history, valid until the rotation) and devices can be
/// revoked; the IoT oracle rejects readings signed by a key that was not valid at their time.
interface IDeviceRegistry {
    enum DeviceKind {
        None,
        ElectricityMeter,
        GasMeter,
        DieselMeter,
        ReeferContainer,
        Truck,
        Other
    }

    enum DeviceStatus {
        None,
        Active,
        Revoked
    }

    struct Device {
        OrgId owner;
        DeviceKind kind;
        DeviceStatus status;
        uint32 generation;
        uint64 registeredAt;
        address signer;
        bytes32 binding;
    }

    /// @notice One key of a device: valid from `validFrom` until `revokedAt` (0: still valid).
    struct KeyRecord {
        uint32 generation;
        uint64 validFrom;
        uint64 revokedAt;
    }

    event DeviceRegistered(
        bytes32 indexed id, OrgId indexed owner, DeviceKind kind, bytes32 binding, address indexed signer
    );
    event DeviceKeyRotated(bytes32 indexed id, address indexed previous, address indexed signer, uint32 generation);
    event DeviceRebound(bytes32 indexed id, bytes32 binding);
    event DeviceRevoked(bytes32 indexed id, uint64 revokedAt);

    error DeviceAlreadyRegistered(bytes32 id);
    error DeviceUnknown(bytes32 id);
    /// @notice Kind `None`, a zero id or a zero signer.
    error DeviceInvalid();
    /// @notice Only the owner organisation manages a device.
    error DeviceNotOwner(bytes32 id, OrgId caller);
    error DeviceIsRevoked(bytes32 id);
    /// @notice A signing key belongs to one device only, forever.
    error DeviceSignerTaken(address signer, bytes32 device);

    function registerDevice(bytes32 id, DeviceKind kind, bytes32 binding, address signer) external;

    function rotateKey(bytes32 id, address signer) external;

    function rebind(bytes32 id, bytes32 binding) external;

    function revokeDevice(bytes32 id) external;

    function device(bytes32 id) external view returns (Device memory);

    function keyRecord(bytes32 id, address signer) external view returns (KeyRecord memory);

    /// @notice Whether `signer` was a valid key of active device `id` at `timestamp`.
    function isValidSigner(bytes32 id, address signer, uint64 timestamp) external view returns (bool);
}
