// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {IDualControl} from "../interfaces/IDualControl.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OperationId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "./ConsortiumUpgradeable.sol";

/// @title DualControl
/// @notice Governance operations that need two distinct officers; see {IDualControl}.
/// @dev Officers hold GOVERNANCE_OFFICER in the AccessManager and must also be accounts of an
/// active member organisation, so suspending an organisation also stops its officers.
contract DualControl is IDualControl, ConsortiumUpgradeable {
    /* STORAGE */

    struct Operation {
        address target;
        uint64 proposedAt;
        uint64 readyAt;
        address proposer;
        uint32 approvals;
        OperationStatus status;
        bytes data;
    }

    /// @custom:storage-location erc7201:tradeledger.storage.DualControl
    struct DualControlStorage {
        IParticipants participants;
        uint256 threshold;
        uint64 executionDelay;
        mapping(OperationId id => Operation) operations;
        mapping(OperationId id => mapping(address officer => bool)) approved;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.DualControl")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x6dc42c274b206a01b78dd7f397cf65aa8e30c886df2b050a4c46bbdd28585b00;

    function _dualControlStorage() private pure returns (DualControlStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /* INITIALISATION */

    function initialize(address authority, IParticipants registry, uint256 threshold_, uint64 delay)
        external
        initializer
    {
        if (threshold_ < 2) revert DualControlInvalidThreshold(threshold_);
        __AccessManaged_init(authority);
        DualControlStorage storage $ = _dualControlStorage();
        $.participants = registry;
        $.threshold = threshold_;
        $.executionDelay = delay;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /* OPERATIONS */

    /// @inheritdoc IDualControl
    function propose(address target, bytes calldata data, bytes32 salt) external restricted returns (OperationId id) {
        DualControlStorage storage $ = _dualControlStorage();
        $.participants.requireActiveMember(msg.sender);
        if (target == address(0)) revert DualControlInvalidTarget();
        id = hashOperation(target, data, salt);
        if ($.operations[id].status != OperationStatus.None) revert DualControlOperationExists(id);

        uint64 readyAt = uint64(block.timestamp) + $.executionDelay;
        $.operations[id] = Operation({
            target: target,
            proposedAt: uint64(block.timestamp),
            readyAt: readyAt,
            proposer: msg.sender,
            approvals: 1,
            status: OperationStatus.Pending,
            data: data
        });
        $.approved[id][msg.sender] = true;
        emit OperationProposed(id, target, msg.sender, data, salt, readyAt);
    }

    /// @inheritdoc IDualControl
    function approve(OperationId id) external restricted {
        DualControlStorage storage $ = _dualControlStorage();
        $.participants.requireActiveMember(msg.sender);
        Operation storage op = _pending(id);
        if ($.approved[id][msg.sender]) revert DualControlAlreadyApproved(id, msg.sender);

        $.approved[id][msg.sender] = true;
        op.approvals += 1;
        emit OperationApproved(id, msg.sender, op.approvals);
    }

    /// @inheritdoc IDualControl
    function execute(OperationId id) external restricted returns (bytes memory result) {
        DualControlStorage storage $ = _dualControlStorage();
        $.participants.requireActiveMember(msg.sender);
        Operation storage op = _pending(id);
        if (op.approvals < $.threshold) revert DualControlNotEnoughApprovals(id, op.approvals, $.threshold);
        if (block.timestamp < op.readyAt) revert DualControlTooEarly(id, op.readyAt, uint64(block.timestamp));

        op.status = OperationStatus.Executed;
        emit OperationExecuted(id, msg.sender);

        // bubbles the target's own custom error up; the whole transaction reverts with it
        return Address.functionCall(op.target, op.data);
    }

    /// @inheritdoc IDualControl
    function cancel(OperationId id) external restricted {
        _dualControlStorage().participants.requireActiveMember(msg.sender);
        Operation storage op = _pending(id);

        op.status = OperationStatus.Cancelled;
        emit OperationCancelled(id, msg.sender);
    }

    /* SETTINGS */

    /// @inheritdoc IDualControl
    function setThreshold(uint256 threshold_) external restricted {
        if (threshold_ < 2) revert DualControlInvalidThreshold(threshold_);
        DualControlStorage storage $ = _dualControlStorage();

        uint256 previous = $.threshold;
        $.threshold = threshold_;
        emit ThresholdChanged(previous, threshold_);
    }

    /// @inheritdoc IDualControl
    function setExecutionDelay(uint64 delay) external restricted {
        DualControlStorage storage $ = _dualControlStorage();

        uint64 previous = $.executionDelay;
        $.executionDelay = delay;
        emit ExecutionDelayChanged(previous, delay);
    }

    /* VIEWS */

    /// @inheritdoc IDualControl
    function operation(OperationId id)
        external
        view
        returns (
            address target,
            bytes memory data,
            address proposer,
            uint64 proposedAt,
            uint64 readyAt,
            uint256 approvals,
            OperationStatus status
        )
    {
        Operation storage op = _dualControlStorage().operations[id];
        return (op.target, op.data, op.proposer, op.proposedAt, op.readyAt, op.approvals, op.status);
    }

    /// @inheritdoc IDualControl
    function hasApproved(OperationId id, address officer) external view returns (bool) {
        return _dualControlStorage().approved[id][officer];
    }

    /// @inheritdoc IDualControl
    function threshold() external view returns (uint256) {
        return _dualControlStorage().threshold;
    }

    /// @inheritdoc IDualControl
    function executionDelay() external view returns (uint64) {
        return _dualControlStorage().executionDelay;
    }

    /// @notice The Participants registry that vouches for officers.
    function participants() external view returns (IParticipants) {
        return _dualControlStorage().participants;
    }

    /// @inheritdoc IDualControl
    function hashOperation(address target, bytes calldata data, bytes32 salt) public pure returns (OperationId) {
        return OperationId.wrap(keccak256(abi.encode(target, data, salt)));
    }

    /* INTERNALS */

    function _pending(OperationId id) private view returns (Operation storage op) {
        op = _dualControlStorage().operations[id];
        if (op.status == OperationStatus.None) revert DualControlUnknownOperation(id);
        if (op.status != OperationStatus.Pending) revert DualControlNotPending(id, op.status);
    }
}
