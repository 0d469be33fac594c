// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";

import {IParticipants} from "../interfaces/IParticipants.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Currency, OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title SettlementToken
/// @notice Tokenized deposits; see {ISettlementToken}.
contract SettlementToken is ISettlementToken, ERC20Upgradeable, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.SettlementToken
    struct SettlementTokenStorage {
        Currency currency;
        uint8 decimals;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.SettlementToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xfafdd2b17e04f9e1238d07326d921bc659a058d20ddd641e71ed133d7a849300;

    function _storage() private pure returns (SettlementTokenStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(
        address authority,
        IParticipants registry,
        string calldata name_,
        string calldata symbol_,
        Currency currency_,
        uint8 decimals_
    ) external initializer {
        __MemberGated_init(authority, registry);
        __ERC20_init(name_, symbol_);
        _storage().currency = currency_;
        _storage().decimals = decimals_;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount) external restricted {
        (OrgId bank,) = _member();
        if (amount == 0) revert SettlementInvalidAmount();
        if (!participants().isActiveMember(to)) revert SettlementInvalidParty(to);

        emit DepositTokenized(bank, to, amount);
        _mint(to, amount);
    }

    /// @inheritdoc ISettlementToken
    function redeem(uint256 amount) external restricted {
        (OrgId holder,) = _member();
        if (amount == 0) revert SettlementInvalidAmount();

        emit DepositRedeemed(holder, msg.sender, amount);
        _burn(msg.sender, amount);
    }

    /// @notice ERC-20 transfer between member accounts.
    function transfer(address to, uint256 amount) public override restricted returns (bool) {
        _member();
        return super.transfer(to, amount);
    }

    /// @notice ERC-20 transfer on allowance: for platform contracts only (the Financing contract's DvP);
    /// members pay each other with `transfer`.
    function transferFrom(address from, address to, uint256 amount) public override restricted returns (bool) {
        return super.transferFrom(from, to, amount);
    }

    /// @notice ERC-20 allowance, for members only.
    function approve(address spender, uint256 amount) public override restricted returns (bool) {
        _member();
        return super.approve(spender, amount);
    }

    /// @inheritdoc ISettlementToken
    function currency() external view returns (Currency) {
        return _storage().currency;
    }

    /// @notice The currency's ISO 4217 exponent: one token unit is one minor unit.
    function decimals() public view override returns (uint8) {
        return _storage().decimals;
    }

    /// @dev Transfers (not mints or burns) only between accounts of active members.
    function _update(address from, address to, uint256 amount) internal override {
        if (from != address(0) && to != address(0)) {
            if (!participants().isActiveMember(from)) revert SettlementInvalidParty(from);
            if (!participants().isActiveMember(to)) revert SettlementInvalidParty(to);
        }
        super._update(from, to, amount);
    }
}
