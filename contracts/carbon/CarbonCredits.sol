// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC1155Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC1155/ERC1155Upgradeable.sol";

import {ICarbonCredits} from "../interfaces/ICarbonCredits.sol";
import {ICarbonLedger} from "../interfaces/ICarbonLedger.sol";
import {IFinancing} from "../interfaces/IFinancing.sol";
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
        IFinancing financing;
        mapping(bytes32 financing => Pledge) pledges;
        mapping(address account => mapping(uint256 tokenId => uint256 kg)) locked;
    }

    // keccak256(abi.encode(uint256(keccak256("tradeledger.storage.CarbonCredits")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x002c9d16d1c76c7a83b8466357a2a9884daabda098b2e0f2b8f93622158a5900;

    function _storage() private pure returns (CarbonCreditsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function initialize(address authority, IParticipants registry, ICarbonLedger ledger, IFinancing financing)
        external
        initializer
    {
        __MemberGated_init(authority, registry);
        __ERC1155_init("");
        _storage().ledger = ledger;
        _storage().financing = financing;
    }

    /// @inheritdoc ConsortiumUpgradeable
    function version() external pure virtual override returns (string memory) {
        return "1.1.0";
    }

    /// @inheritdoc ICarbonCredits
    function issueCredits(bytes32 project, uint16 vintage, address to, uint256 kg, bytes32 statement, bytes32 baseline)
        external
        restricted
        returns (uint256 tokenId)
    {
        _member();
        CarbonCreditsStorage storage $ = _storage();
        if (project == bytes32(0) || kg == 0) revert CreditsInvalid();
        uint256 existing = $.issuedFor[statement];
        if (existing != 0) revert CreditsAlreadyIssued(statement, existing);
        uint256 reductionKg = $.ledger.reductionOf(statement, baseline) / 1000; // both verified, comparable
        if (kg > reductionKg) revert CreditsExceedReduction(statement, kg, reductionKg);
        if (!participants().isActiveMember(to)) revert CreditsInvalidParty(to);
        if (participants().orgOf(to) != $.ledger.statement(statement).org) revert CreditsNotStatementOrg(to);

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

    /// @inheritdoc ICarbonCredits
    function pledge(bytes32 financing, uint256 tokenId, uint256 kg) external restricted {
        (OrgId holder,) = _member();
        CarbonCreditsStorage storage $ = _storage();
        IFinancing.Financing memory f = $.financing.financing(financing);
        if (kg == 0) revert CreditsInvalid();
        if (
            f.holderAccount != msg.sender || !_live(f.status) || $.pledges[financing].account != address(0)
        ) revert CreditsNotPledgeable(financing);
        uint256 unlocked = balanceOf(msg.sender, tokenId) - $.locked[msg.sender][tokenId];
        if (kg > unlocked) revert CreditsLocked(msg.sender, tokenId, unlocked);

        $.pledges[financing] = Pledge(msg.sender, holder, tokenId, kg, false);
        $.locked[msg.sender][tokenId] += kg;
        emit CreditsPledged(financing, tokenId, holder, kg);
    }

    /// @inheritdoc ICarbonCredits
    function release(bytes32 financing) external restricted {
        _member();
        CarbonCreditsStorage storage $ = _storage();
        Pledge storage p = _openPledge(financing);
        IFinancing.FinancingStatus status = $.financing.financing(financing).status;
        if (status != IFinancing.FinancingStatus.Repaid && status != IFinancing.FinancingStatus.Cancelled) {
            revert CreditsFinancingLive(financing);
        }
        p.closed = true;
        $.locked[p.account][p.tokenId] -= p.kg;
        emit CreditsReleased(financing, p.tokenId, p.holder, p.kg);
    }

    /// @inheritdoc ICarbonCredits
    function seize(bytes32 financing) external restricted {
        (OrgId financier,) = _member();
        CarbonCreditsStorage storage $ = _storage();
        Pledge storage p = _openPledge(financing);
        IFinancing.Financing memory f = $.financing.financing(financing);
        if (f.status != IFinancing.FinancingStatus.RecourseClaimed || f.terms.financier != financier) {
            revert CreditsCannotSeize(financing);
        }
        p.closed = true;
        $.locked[p.account][p.tokenId] -= p.kg;
        emit CreditsSeized(financing, p.tokenId, financier, p.kg);
        _safeTransferFrom(p.account, f.terms.financierAccount, p.tokenId, p.kg, "");
    }

    /// @inheritdoc ICarbonCredits
    function pledgeOf(bytes32 financing) external view returns (Pledge memory) {
        return _storage().pledges[financing];
    }

    /// @inheritdoc ICarbonCredits
    function lockedOf(address account, uint256 tokenId) external view returns (uint256) {
        return _storage().locked[account][tokenId];
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

    /// @dev Transfers (not mints or burns) only between accounts of active members; pledged credits
    /// neither move nor burn.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (from != address(0) && to != address(0)) {
            if (!participants().isActiveMember(to)) revert CreditsInvalidParty(to);
        }
        if (from != address(0)) {
            CarbonCreditsStorage storage $ = _storage();
            for (uint256 i = 0; i < ids.length; ++i) {
                uint256 locked = $.locked[from][ids[i]];
                uint256 balance = balanceOf(from, ids[i]);
                uint256 unlocked = balance > locked ? balance - locked : 0;
                if (locked != 0 && values[i] > unlocked) revert CreditsLocked(from, ids[i], unlocked);
            }
        }
        super._update(from, to, ids, values);
    }

    function _openPledge(bytes32 financing) private view returns (Pledge storage p) {
        p = _storage().pledges[financing];
        if (p.account == address(0) || p.closed) revert CreditsNoPledge(financing);
    }

    function _live(IFinancing.FinancingStatus status) private pure returns (bool) {
        return status == IFinancing.FinancingStatus.Requested || status == IFinancing.FinancingStatus.PendingReview
            || status == IFinancing.FinancingStatus.Funded;
    }

    /// @dev ERC-165 of ERC-1155 only.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
