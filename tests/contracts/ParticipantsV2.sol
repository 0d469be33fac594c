// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Participants} from "../../contracts/governance/Participants.sol";

/// @notice Test-only upgrade target: same storage, one new view, a new version.
contract ParticipantsV2 is Participants {
    function version() external pure override returns (string memory) {
        return "2.0.0";
    }

    function organisationCount() external view returns (uint256) {
        return _participantsStorage().organisationCount;
    }
}
