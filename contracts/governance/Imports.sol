// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

// Pulls OpenZeppelin contracts that are deployed as they are into the build.
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
