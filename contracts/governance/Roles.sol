// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgRole} from "../interfaces/Types.sol";

/// @title AccessManager role ids of the consortium
/// @notice Mirrored by `Role` in `chain/policy.py`, which maps every restricted function to one of these.
library Roles {
    /// @notice AccessManager's admin role; held only by DualControl once deployed.
    uint64 internal constant ADMIN = 0;
    /// @notice Officers who propose, approve and execute dual-control operations.
    uint64 internal constant GOVERNANCE_OFFICER = 1;
    /// @notice Held by platform contracts that call each other (e.g. Receivables -> PurchaseOrders).
    uint64 internal constant SYSTEM = 4;
    /// @notice Risk reviewers of financiers: approve financings above the review threshold.
    uint64 internal constant RISK_REVIEWER = 5;
    /// @notice Held by the Participants contract: the admin of every member role but OPERATOR.
    uint64 internal constant REGISTRAR = 3;
    /// @notice Member roles are `MEMBER_BASE + uint8(OrgRole)` (OPERATOR = 11 … CARBON_VERIFIER = 20).
    uint64 internal constant MEMBER_BASE = 10;

    /// @notice The member role of organisations with `role`.
    function forOrg(OrgRole role) internal pure returns (uint64) {
        return MEMBER_BASE + uint64(uint8(role));
    }
}
