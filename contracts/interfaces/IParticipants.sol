// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId, OrgRole, OrgStatus} from "./Types.sol";

/// @title Participants: the consortium's member registry
/// @notice Organisations with one role each, their signing accounts, a salted commitment to
/// their legal identifier (LEI, USCC, …) and a status. Every other contract asks
/// `requireActiveMember(msg.sender)` before a write, so suspending an organisation is a
/// circuit breaker for all of its writes at once.
/// @dev The consortium operator registers and suspends organisations with one signature;
/// reinstatement is an ADMIN function and so needs dual control. Registration grants each
/// account the member role of its organisation's role in the AccessManager.
interface IParticipants {
    /* EVENTS */

    /// @notice An organisation joined with `accounts` as its signing accounts.
    event OrganisationRegistered(
        OrgId indexed id,
        OrgRole indexed role,
        string name,
        bytes32 legalIdCommitment,
        address[] accounts,
        uint64 registeredAt
    );
    /// @notice A member added a signing account.
    event AccountAdded(OrgId indexed id, address indexed account);
    /// @notice A member removed a signing account; it loses the member role.
    event AccountRemoved(OrgId indexed id, address indexed account);
    /// @notice A member replaced the commitment to its legal identifier.
    event LegalIdCommitmentUpdated(OrgId indexed id, bytes32 commitment);
    /// @notice The operator suspended an organisation; its writes are refused from now on.
    event OrganisationSuspended(OrgId indexed id, address indexed by, uint64 suspendedAt);
    /// @notice A suspended organisation was reinstated (through dual control).
    event OrganisationReinstated(OrgId indexed id, uint64 reinstatedAt);

    /* ERRORS */

    /// @notice The organisation id is zero.
    error ParticipantInvalidId();
    /// @notice An organisation with this id exists already.
    error ParticipantAlreadyRegistered(OrgId id);
    /// @notice `None` is not a role.
    error ParticipantInvalidRole(OrgRole role);
    /// @notice This role cannot be registered (there is one operator, set at deployment).
    error ParticipantRoleReserved(OrgRole role);
    /// @notice A name must have 1 to 64 bytes.
    error ParticipantInvalidName();
    /// @notice An organisation needs at least one account.
    error ParticipantNoAccounts();
    /// @notice The zero address cannot be an account.
    error ParticipantZeroAccount();
    /// @notice The account belongs to an organisation already (`owner`).
    error ParticipantAccountTaken(address account, OrgId owner);
    /// @notice The account is not one of the organisation's accounts.
    error ParticipantAccountNotInOrg(address account, OrgId id);
    /// @notice The organisation's last account cannot be removed.
    error ParticipantLastAccount(OrgId id);
    /// @notice No organisation has this id.
    error ParticipantUnknown(OrgId id);
    /// @notice The organisation is not active (already suspended).
    error ParticipantNotActive(OrgId id);
    /// @notice The organisation is not suspended.
    error ParticipantNotSuspended(OrgId id);
    /// @notice The operator organisation cannot suspend itself.
    error ParticipantCannotSuspendSelf(OrgId id);
    /// @notice The caller is no account of any organisation.
    error ParticipantNotRegistered(address account);
    /// @notice The caller's organisation is suspended.
    error ParticipantSuspended(OrgId id);

    /* REGISTRATION (operator) */

    /// @notice Registers an organisation and grants its accounts the member role of `role`.
    /// @param legalIdCommitment `keccak256(abi.encode(legalId, salt))`; the salt stays off chain.
    function registerOrganisation(
        OrgId id,
        string calldata name,
        OrgRole role,
        bytes32 legalIdCommitment,
        address[] calldata accounts
    ) external;

    /// @notice Suspends an organisation (circuit breaker). Reinstating needs dual control.
    function suspendOrganisation(OrgId id) external;

    /// @notice Reinstates a suspended organisation. ADMIN only, i.e. through DualControl.
    function reinstateOrganisation(OrgId id) external;

    /* SELF-SERVICE (active members, for their own organisation) */

    /// @notice Adds a signing account to the caller's organisation.
    function addAccount(address account) external;

    /// @notice Removes a signing account of the caller's organisation (not the last one).
    function removeAccount(address account) external;

    /// @notice Replaces the commitment to the caller's organisation's legal identifier.
    function updateLegalIdCommitment(bytes32 commitment) external;

    /* VIEWS */

    /// @notice An organisation; reverts with `ParticipantUnknown` when there is none.
    function organisation(OrgId id)
        external
        view
        returns (OrgRole role, OrgStatus status, uint64 registeredAt, bytes32 legalIdCommitment, string memory name);

    /// @notice The organisation of `account`, or zero.
    function orgOf(address account) external view returns (OrgId);

    /// @notice The signing accounts of an organisation.
    function accountsOf(OrgId id) external view returns (address[] memory);

    /// @notice Whether `account` belongs to an active organisation.
    function isActiveMember(address account) external view returns (bool);

    /// @notice The organisation and role of `account`; reverts unless it is active.
    /// @dev Every business contract calls this before a write.
    function requireActiveMember(address account) external view returns (OrgId id, OrgRole role);
}
