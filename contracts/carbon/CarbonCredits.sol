// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC1155Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC1155/ERC1155Upgradeable.sol";

import {ICarbonCredits} from "../interfaces/ICarbonCredits.sol";
import {ICarbonLedger} from "../interfaces/ICarbonLedger.sol";
import {IParticipants} from "../interfaces/IParticipants.sol";
import {OrgId} from "../interfaces/Types.sol";
import {ConsortiumUpgradeable} from "../governance/ConsortiumUpgradeable.sol";
import {MemberGated} from "../governance/MemberGated.sol";

/// @title CarbonCredits
/// @notice Credits per project and vintage; see {ICarbonCredits}.
contract CarbonCredits is ICarbonCredits, ERC1155Upgradeable, MemberGated {
    /// @custom:storage-location erc7201:tradeledger.storage.CarbonCredits
    struct CarbonCreditsStorage {
        ICarbonLedger ledger;
        mapping(bytes32 statement => uint256 tokenId) issuedFor;
        mapping(uint256 tokenId => uint256 kg) retired;
        uint256 retirements;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.CarbonCredits")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x002c9d16d1c76c7a83b8466357a2a9884daabda098b2e0f2b8f93622158a5900;

    function _storage() private pure returns (CarbonCreditsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry, ICarbonLedger ledger) external initializer {
        __MemberGated_init(authority, registry);
        __ERC1155_init("");
        _storage().ledger = ledger;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc ICarbonCredits
    function issueCredits(bytes32 project, uint16 vintage, address to, uint256 kg, bytes32 statement)
        external
        restricted
        returns (uint256 tokenId)
    {
        _member();
        CarbonCreditsStorage storage $ = _storage();
        if (project == bytes32(0) || kg == 0) revert CreditsInvalid();
        if ($.ledger.statement(statement).status != ICarbonLedger.StatementStatus.Verified) {
            revert CreditsStatementNotVerified(statement);
        }
        uint256 existing = $.issuedFor[statement];
        if (existing != 0) revert CreditsAlreadyIssued(statement, existing);
        if (!participants().isActiveMember(to)) revert CreditsInvalidParty(to);

        tokenId = tokenIdOf(project, vintage);
        $.issuedFor[statement] = tokenId;
        emit CreditsIssued(tokenId, project, vintage, to, kg, statement);

        _mint(to, tokenId, kg, "");
    }

    /// @inheritdoc ICarbonCredits
    function retire(uint256 tokenId, uint256 kg, string calldata beneficiary, string calldata reason)
        external
        restricted
        returns (uint256 retirement)
    {
        (OrgId holder,) = _member();
        if (kg == 0 || bytes(beneficiary).length == 0) revert CreditsInvalid();
        CarbonCreditsStorage storage $ = _storage();

        $.retirements += 1;
        retirement = $.retirements;
        $.retired[tokenId] += kg;
        emit CreditsRetired(tokenId, holder, kg, beneficiary, reason, retirement);

        _burn(msg.sender, tokenId, kg); // reverts on insufficient balance: nothing is retired twice
    }

    /// @notice ERC-1155 transfer between member accounts.
    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes memory data)
        public
        override
        restricted
    {
        _member();
        super.safeTransferFrom(from, to, id, value, data);
    }

    /// @notice ERC-1155 batch transfer between member accounts.
    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values,
        bytes memory data
    ) public override restricted {
        _member();
        super.safeBatchTransferFrom(from, to, ids, values, data);
    }

    /// @notice ERC-1155 operator approval, for members only.
    function setApprovalForAll(address operator, bool approved) public override restricted {
        _member();
        super.setApprovalForAll(operator, approved);
    }

    /// @inheritdoc ICarbonCredits
    function tokenIdOf(bytes32 project, uint16 vintage) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(project, vintage)));
    }

    /// @inheritdoc ICarbonCredits
    function retiredTotal(uint256 tokenId) external view returns (uint256) {
        return _storage().retired[tokenId];
    }

    /// @dev Transfers (not mints or burns) only between accounts of active members.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (from != address(0) && to != address(0)) {
            if (!participants().isActiveMember(to)) revert CreditsInvalidParty(to);
        }
        super._update(from, to, ids, values);
    }

    /// @dev ERC-165 of ERC-1155 only.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
