// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessManagedUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/manager/AccessManagedUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/// @title Base of every business contract of the consortium
/// @notice A UUPS implementation managed by the consortium's AccessManager. Upgrades are
/// `restricted` like any other function: the policy gives `upgradeToAndCall` to ADMIN, which
/// only DualControl holds, so an upgrade needs two officers and the execution delay.
/// @dev Implementations keep their state in ERC-7201 namespaced storage and never initialise
/// through their constructor.
abstract contract ConsortiumUpgradeable is Initializable, AccessManagedUpgradeable, UUPSUpgradeable {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice The implementation's version, e.g. "1.0.0".
    function version() external pure virtual returns (string memory);

    // solhint-disable-next-line no-empty-blocks
    function _authorizeUpgrade(address) internal override restricted {}
}
