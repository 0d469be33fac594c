// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice An organisation of the consortium: `keccak256(abi.encode("tradeledger.org.v1", handle))`.
type OrgId is bytes32;

/// @notice A dual-control operation: `keccak256(abi.encode(target, data, salt))`.
type OperationId is bytes32;

/// @notice An anchored document version: `keccak256(abi.encode(issuer, docType, numberHash))` for
/// a first version, `keccak256(abi.encode(previous, version))` for a correction.
type DocumentId is bytes32;

/// @notice A purchase order: `keccak256(abi.encode(buyer, poNumberHash))`.
type OrderId is bytes32;

/// @notice An ISO 4217 currency code as three ASCII bytes, e.g. `bytes3("USD")`.
type Currency is bytes3;

/// @notice What an organisation does in the consortium. Each organisation has exactly one role;
/// its accounts hold the matching AccessManager role (`Roles.forOrg`).
/// @dev Append only: the numbers are stored on chain and mirrored in `chain/policy.py`.
enum OrgRole {
    None,
    Operator,
    CoreEnterprise,
    Supplier,
    Financier,
    Logistics,
    CustomsOracle,
    IotOracle,
    Auditor,
    Regulator,
    CarbonVerifier
}

/// @notice Membership status. A suspended organisation keeps its records but cannot write.
enum OrgStatus {
    None,
    Active,
    Suspended
}

function eqCurrency(Currency a, Currency b) pure returns (bool) {
    return Currency.unwrap(a) == Currency.unwrap(b);
}

function neqCurrency(Currency a, Currency b) pure returns (bool) {
    return Currency.unwrap(a) != Currency.unwrap(b);
}

using {eqCurrency as ==, neqCurrency as !=} for Currency global;

function eqOrgId(OrgId a, OrgId b) pure returns (bool) {
    return OrgId.unwrap(a) == OrgId.unwrap(b);
}

function neqOrgId(OrgId a, OrgId b) pure returns (bool) {
    return OrgId.unwrap(a) != OrgId.unwrap(b);
}

using {eqOrgId as ==, neqOrgId as !=} for OrgId global;
