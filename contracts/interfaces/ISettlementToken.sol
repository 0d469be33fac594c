// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Currency, OrgId} from "./Types.sol";

/// @title SettlementToken: a tokenized bank deposit in one currency, the cash leg of DvP
/// @notice Financier organisations (banks) mint tokens against deposits they hold and burn them
/// when a holder redeems. One token unit is one minor unit of the currency (decimals = the ISO 4217
/// exponent). Tokens move only between accounts of active member organisations.
interface ISettlementToken {
    /// @notice A bank tokenized `amount` of a deposit to `to`.
    event DepositTokenized(OrgId indexed bank, address indexed to, uint256 amount);
    /// @notice A holder redeemed `amount` back into a deposit.
    event DepositRedeemed(OrgId indexed holder, address indexed from, uint256 amount);

    /// @notice Tokens move only to and from accounts of active members.
    error SettlementInvalidParty(address account);
    error SettlementInvalidAmount();

    /// @notice A bank mints `amount` minor units to a member account.
    function mint(address to, uint256 amount) external;

    /// @notice The caller redeems (burns) `amount` of its own tokens.
    function redeem(uint256 amount) external;

    /// @notice The ISO 4217 currency of this token.
    function currency() external view returns (Currency);
}
