// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OperationId} from "./Types.sol";

/// @title DualControl (雙人雙鎖): governance operations that need two officers
/// @notice Holds the AccessManager's ADMIN role. Every role grant, upgrade, threshold change
/// and reinstatement is an operation here: one officer proposes it (counting as the first
/// approval), distinct officers approve it, and once `threshold` approvals are in and the
/// execution delay has passed, any officer executes it.
/// @dev Warning: an operation that fails when executed reverts as a whole and stays pending,
/// with the target's own error; it can be executed again once the cause is gone, or cancelled.
interface IDualControl {
    enum OperationStatus {
        None,
        Pending,
        Executed,
        Cancelled
    }

    /* EVENTS */

    /// @notice An officer proposed calling `target` with `data`; it counts as the first approval.
    event OperationProposed(
        OperationId indexed id, address indexed target, address indexed proposer, bytes data, bytes32 salt, uint64 readyAt
    );
    /// @notice Another officer approved; `approvals` is the new count.
    event OperationApproved(OperationId indexed id, address indexed officer, uint256 approvals);
    /// @notice The operation was executed.
    event OperationExecuted(OperationId indexed id, address indexed executor);
    /// @notice The operation was cancelled and can never run.
    event OperationCancelled(OperationId indexed id, address indexed by);
    /// @notice The number of approvals an operation needs changed.
    event ThresholdChanged(uint256 previous, uint256 threshold);
    /// @notice The time between proposal and execution changed.
    event ExecutionDelayChanged(uint64 previous, uint64 delay);

    /* ERRORS */

    /// @notice A threshold below two would not be dual control.
    error DualControlInvalidThreshold(uint256 threshold);
    /// @notice The target is the zero address.
    error DualControlInvalidTarget();
    /// @notice An operation with this id exists already (pick another salt).
    error DualControlOperationExists(OperationId id);
    /// @notice No operation has this id.
    error DualControlUnknownOperation(OperationId id);
    /// @notice The operation was executed or cancelled already.
    error DualControlNotPending(OperationId id, OperationStatus status);
    /// @notice This officer approved (or proposed) the operation already.
    error DualControlAlreadyApproved(OperationId id, address officer);
    /// @notice Not enough distinct officers approved yet.
    error DualControlNotEnoughApprovals(OperationId id, uint256 approvals, uint256 threshold);
    /// @notice The execution delay has not passed yet.
    error DualControlTooEarly(OperationId id, uint64 readyAt, uint64 blockTime);

    /* OPERATIONS (governance officers) */

    /// @notice Proposes `target.call(data)`; returns `hashOperation(target, data, salt)`.
    function propose(address target, bytes calldata data, bytes32 salt) external returns (OperationId id);

    /// @notice Approves a pending operation (once per officer).
    function approve(OperationId id) external;

    /// @notice Executes a pending operation with enough approvals after its delay.
    function execute(OperationId id) external returns (bytes memory result);

    /// @notice Cancels a pending operation.
    function cancel(OperationId id) external;

    /* SETTINGS (ADMIN, i.e. through this contract itself) */

    /// @notice Sets the number of distinct approvals an operation needs (at least 2).
    function setThreshold(uint256 threshold) external;

    /// @notice Sets the time between a proposal and its earliest execution.
    function setExecutionDelay(uint64 delay) external;

    /* VIEWS */

    /// @notice An operation (all zero with status `None` when unknown).
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
        );

    /// @notice Whether `officer` approved (or proposed) operation `id`.
    function hasApproved(OperationId id, address officer) external view returns (bool);

    /// @notice The number of distinct approvals an operation needs.
    function threshold() external view returns (uint256);

    /// @notice Seconds between proposal and earliest execution.
    function executionDelay() external view returns (uint64);

    /// @notice The id of an operation: `keccak256(abi.encode(target, data, salt))`.
    function hashOperation(address target, bytes calldata data, bytes32 salt) external pure returns (OperationId);
}
