// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId, OrgRole, OrgStatus} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "./ConsortiumUpgradeable.sol";

/// @title Base of the business contracts: the consortium base plus the membership gate
/// @notice Every write calls `_member()`: the caller must be an account of an active
/// organisation (so suspending an organisation stops all of its writes at once).
abstract contract MemberGated is ConsortiumUpgradeable {
    /// @custom:storage-location erc7201:tradeledger.storage.MemberGated
    struct MemberGatedStorage {
        IParticipants participants;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.MemberGated")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xbcdbb04632210cc4545ccfe1efc06b2158523da71e72fce1ff6cbf15f8306600;

    function _memberGatedStorage() private pure returns (MemberGatedStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    // solhint-disable-next-line func-name-mixedcase
    function __MemberGated_init(address authority, IParticipants registry) internal onlyInitializing {
        __AccessManaged_init(authority);
        _memberGatedStorage().participants = registry;
    }

    /// @notice The Participants registry this contract trusts.
    function participants() public view returns (IParticipants) {
        return _memberGatedStorage().participants;
    }

    /// @dev The caller's organisation and role; reverts unless it is an active member.
    function _member() internal view returns (OrgId id, OrgRole role) {
        return participants().requireActiveMember(msg.sender);
    }

    /// @dev The organisation of `account`; reverts unless it is an active member.
    function _memberOf(address account) internal view returns (OrgId id, OrgRole role) {
        return participants().requireActiveMember(account);
    }

    /// @dev Whether organisation `id` is registered and active.
    function _isActiveOrg(OrgId id) internal view returns (bool) {
        (, OrgStatus status,,,) = participants().organisation(id);
        return status == OrgStatus.Active;
    }
}
