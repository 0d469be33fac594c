// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";

import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId, OrgRole, OrgStatus} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "./ConsortiumUpgradeable.sol";
import {Roles} from "./Roles.sol";

/// @title Participants
/// @notice The consortium's member registry; see {IParticipants}.
contract Participants is IParticipants, ConsortiumUpgradeable {
    /* STORAGE */

    uint256 internal constant MAX_NAME_BYTES = 64;

    struct Organisation {
        OrgRole role;
        OrgStatus status;
        uint64 registeredAt;
        bytes32 legalIdCommitment;
        string name;
    }

    /// @custom:storage-location erc7201:tradeledger.storage.Participants
    struct ParticipantsStorage {
        mapping(OrgId id => Organisation) organisations;
        mapping(OrgId id => address[]) accounts;
        mapping(address account => OrgId) orgOf;
        uint256 organisationCount;
        OrgId operatorId;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.Participants")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x9894f14c79c527faaad8489d0cce79448d0aa730ca93a5096866b7f34b8cfa00;

    function _participantsStorage() internal pure returns (ParticipantsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /* INITIALISATION */

    /// @notice Sets the AccessManager and registers the consortium operator's organisation.
    /// @dev The operator's accounts get their AccessManager roles from the deployment script,
    /// because this contract is granted REGISTRAR only after it exists.
    function initialize(
        address authority,
        OrgId operatorId,
        string calldata name,
        bytes32 legalIdCommitment,
        address[] calldata accounts
    ) external initializer {
        __AccessManaged_init(authority);
        _register(operatorId, name, OrgRole.Operator, legalIdCommitment, accounts);
        _participantsStorage().operatorId = operatorId;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* REGISTRATION */

    /// @inheritdoc IParticipants
    function registerOrganisation(
        OrgId id,
        string calldata name,
        OrgRole role,
        bytes32 legalIdCommitment,
        address[] calldata accounts
    ) external restricted {
        if (role == OrgRole.None) revert ParticipantInvalidRole(role);
        if (role == OrgRole.Operator) revert ParticipantRoleReserved(role);

        _register(id, name, role, legalIdCommitment, accounts);

        uint64 memberRole = Roles.forOrg(role);
        for (uint256 i = 0; i < accounts.length; ++i) {
            IAccessManager(authority()).grantRole(memberRole, accounts[i], 0);
        }
    }

    /// @inheritdoc IParticipants
    function suspendOrganisation(OrgId id) external restricted {
        ParticipantsStorage storage $ = _participantsStorage();
        Organisation storage org = _existing(id);
        if (org.status != OrgStatus.Active) revert ParticipantNotActive(id);
        if (id == $.operatorId) revert ParticipantCannotSuspendSelf(id);

        org.status = OrgStatus.Suspended;
        emit OrganisationSuspended(id, msg.sender, uint64(block.timestamp));
    }

    /// @inheritdoc IParticipants
    function reinstateOrganisation(OrgId id) external restricted {
        Organisation storage org = _existing(id);
        if (org.status != OrgStatus.Suspended) revert ParticipantNotSuspended(id);

        org.status = OrgStatus.Active;
        emit OrganisationReinstated(id, uint64(block.timestamp));
    }

    /* SELF-SERVICE */

    /// @inheritdoc IParticipants
    function addAccount(address account) external restricted {
        ParticipantsStorage storage $ = _participantsStorage();
        (OrgId id, OrgRole role) = _requireActive(msg.sender);
        _checkFreeAccount(account);

        $.accounts[id].push(account);
        $.orgOf[account] = id;
        emit AccountAdded(id, account);

        if (role != OrgRole.Operator) {
            // the OPERATOR role itself is granted only through dual control
            IAccessManager(authority()).grantRole(Roles.forOrg(role), account, 0);
        }
    }

    /// @inheritdoc IParticipants
    function removeAccount(address account) external restricted {
        ParticipantsStorage storage $ = _participantsStorage();
        (OrgId id, OrgRole role) = _requireActive(msg.sender);
        if ($.orgOf[account] != id) revert ParticipantAccountNotInOrg(account, id);
        address[] storage accounts = $.accounts[id];
        if (accounts.length == 1) revert ParticipantLastAccount(id);

        for (uint256 i = 0; i < accounts.length; ++i) {
            if (accounts[i] == account) {
                accounts[i] = accounts[accounts.length - 1];
                accounts.pop();
                break;
            }
        }
        $.orgOf[account] = OrgId.wrap(bytes32(0));
        emit AccountRemoved(id, account);

        if (role != OrgRole.Operator) {
            IAccessManager(authority()).revokeRole(Roles.forOrg(role), account);
        }
    }

    /// @inheritdoc IParticipants
    function updateLegalIdCommitment(bytes32 commitment) external restricted {
        (OrgId id,) = _requireActive(msg.sender);

        _participantsStorage().organisations[id].legalIdCommitment = commitment;
        emit LegalIdCommitmentUpdated(id, commitment);
    }

    /* VIEWS */

    /// @inheritdoc IParticipants
    function organisation(OrgId id)
        external
        view
        returns (OrgRole role, OrgStatus status, uint64 registeredAt, bytes32 legalIdCommitment, string memory name)
    {
        Organisation storage org = _existing(id);
        return (org.role, org.status, org.registeredAt, org.legalIdCommitment, org.name);
    }

    /// @inheritdoc IParticipants
    function orgOf(address account) external view returns (OrgId) {
        return _participantsStorage().orgOf[account];
    }

    /// @inheritdoc IParticipants
    function accountsOf(OrgId id) external view returns (address[] memory) {
        return _participantsStorage().accounts[id];
    }

    /// @inheritdoc IParticipants
    function isActiveMember(address account) external view returns (bool) {
        ParticipantsStorage storage $ = _participantsStorage();
        return $.organisations[$.orgOf[account]].status == OrgStatus.Active;
    }

    /// @inheritdoc IParticipants
    function requireActiveMember(address account) external view returns (OrgId id, OrgRole role) {
        return _requireActive(account);
    }

    /* INTERNALS */

    function _register(
        OrgId id,
        string calldata name,
        OrgRole role,
        bytes32 legalIdCommitment,
        address[] calldata accounts
    ) private {
        ParticipantsStorage storage $ = _participantsStorage();
        if (OrgId.unwrap(id) == bytes32(0)) revert ParticipantInvalidId();
        if ($.organisations[id].status != OrgStatus.None) revert ParticipantAlreadyRegistered(id);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) revert ParticipantInvalidName();
        if (accounts.length == 0) revert ParticipantNoAccounts();

        $.organisations[id] = Organisation({
            role: role,
            status: OrgStatus.Active,
            registeredAt: uint64(block.timestamp),
            legalIdCommitment: legalIdCommitment,
            name: name
        });
        for (uint256 i = 0; i < accounts.length; ++i) {
            _checkFreeAccount(accounts[i]); // also catches an account listed twice
            $.orgOf[accounts[i]] = id;
            $.accounts[id].push(accounts[i]);
        }
        $.organisationCount += 1;
        emit OrganisationRegistered(id, role, name, legalIdCommitment, accounts, uint64(block.timestamp));
    }

    function _checkFreeAccount(address account) private view {
        if (account == address(0)) revert ParticipantZeroAccount();
        OrgId owner = _participantsStorage().orgOf[account];
        if (OrgId.unwrap(owner) != bytes32(0)) revert ParticipantAccountTaken(account, owner);
    }

    function _existing(OrgId id) private view returns (Organisation storage org) {
        org = _participantsStorage().organisations[id];
        if (org.status == OrgStatus.None) revert ParticipantUnknown(id);
    }

    function _requireActive(address account) private view returns (OrgId id, OrgRole role) {
        ParticipantsStorage storage $ = _participantsStorage();
        id = $.orgOf[account];
        if (OrgId.unwrap(id) == bytes32(0)) revert ParticipantNotRegistered(account);
        Organisation storage org = $.organisations[id];
        if (org.status != OrgStatus.Active) revert ParticipantSuspended(id);
        return (id, org.role);
    }
}
