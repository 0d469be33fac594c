// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title CarbonCredits: ERC-1155 credits per project and vintage, issued against verified statements
/// @notice A carbon verifier issues credits (one token unit = one kilogram CO2e) for a verified
/// reduction, citing the verified emission statement; each statement backs one issuance. Credits
/// move between member accounts; retiring burns them for good with a beneficiary and a reason.
/// @dev Warning: retirement is final. A retired credit no longer exists: it cannot be retired or
/// transferred again.
interface ICarbonCredits {
    event CreditsIssued(
        uint256 indexed tokenId, bytes32 indexed project, uint16 vintage, address indexed to, uint256 kg, bytes32 statement
    );
    event CreditsRetired(
        uint256 indexed tokenId, OrgId indexed holder, uint256 kg, string beneficiary, string reason, uint256 retirement
    );

    /// @notice The statement is not verified on CarbonLedger.
    error CreditsStatementNotVerified(bytes32 statement);
    /// @notice Credits were issued against this statement already.
    error CreditsAlreadyIssued(bytes32 statement, uint256 tokenId);
    /// @notice Zero amounts, a zero project, or an empty beneficiary.
    error CreditsInvalid();
    /// @notice Credits move only to and from accounts of active members.
    error CreditsInvalidParty(address account);

    function issueCredits(bytes32 project, uint16 vintage, address to, uint256 kg, bytes32 statement)
        external
        returns (uint256 tokenId);

    function retire(uint256 tokenId, uint256 kg, string calldata beneficiary, string calldata reason)
        external
        returns (uint256 retirement);

    function tokenIdOf(bytes32 project, uint16 vintage) external pure returns (uint256);

    function retiredTotal(uint256 tokenId) external view returns (uint256);
}
