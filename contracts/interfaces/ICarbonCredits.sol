// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OrgId} from "./Types.sol";

/// @title CarbonCredits: ERC-1155 credits per project and vintage, issued against verified statements
/// @notice A carbon verifier issues credits (one token unit = one kilogram CO2e) for a verified
/// reduction: the verified statement against a verified baseline statement (CarbonLedger.reductionOf),
/// never more kilograms than the reduction, to the organisation that achieved it; each statement backs
/// one issuance. Credits move between member accounts; retiring burns them for good with a
/// beneficiary and a reason. A holder may pledge credits as collateral for a financing of its
/// receivable: pledged credits are locked (no transfer, no retirement) while the financing is live,
/// released when it is repaid or cancelled, and seized by the financier when it claims recourse.
/// @dev Warning: retirement is final. A retired credit no longer exists: it cannot be retired or
/// transferred again.
interface ICarbonCredits {
    event CreditsIssued(
        uint256 indexed tokenId, bytes32 indexed project, uint16 vintage, address indexed to, uint256 kg, bytes32 statement
    );
    event CreditsRetired(
        uint256 indexed tokenId, OrgId indexed holder, uint256 kg, string beneficiary, string reason, uint256 retirement
    );

    struct Pledge {
        address account;
        OrgId holder;
        uint256 tokenId;
        uint256 kg;
        bool closed;
    }

    event CreditsPledged(bytes32 indexed financing, uint256 indexed tokenId, OrgId indexed holder, uint256 kg);
    event CreditsReleased(bytes32 indexed financing, uint256 indexed tokenId, OrgId indexed holder, uint256 kg);
    event CreditsSeized(bytes32 indexed financing, uint256 indexed tokenId, OrgId indexed financier, uint256 kg);

    /// @notice More kilograms than the verified reduction (in whole kilograms) behind them.
    error CreditsExceedReduction(bytes32 statement, uint256 kg, uint256 reductionKg);
    /// @notice Credits go to an account of the organisation whose statement shows the reduction.
    error CreditsNotStatementOrg(address to);
    /// @notice Pledged credits cannot move or be retired while their financing is live.
    error CreditsLocked(address account, uint256 tokenId, uint256 unlocked);
    /// @notice Only the financing's holder pledges, once, while the financing is live.
    error CreditsNotPledgeable(bytes32 financing);
    error CreditsNoPledge(bytes32 financing);
    /// @notice Released only once the financing is repaid or cancelled.
    error CreditsFinancingLive(bytes32 financing);
    /// @notice Seized only by the financing's financier, after it claimed recourse.
    error CreditsCannotSeize(bytes32 financing);
    /// @notice Credits were issued against this statement already.
    error CreditsAlreadyIssued(bytes32 statement, uint256 tokenId);
    /// @notice Zero amounts, a zero project, or an empty beneficiary.
    error CreditsInvalid();
    /// @notice Credits move only to and from accounts of active members.
    error CreditsInvalidParty(address account);

    function issueCredits(bytes32 project, uint16 vintage, address to, uint256 kg, bytes32 statement, bytes32 baseline)
        external
        returns (uint256 tokenId);

    /// @notice The financing's holder locks `kg` of its credits as collateral for it.
    function pledge(bytes32 financing, uint256 tokenId, uint256 kg) external;

    /// @notice Unlocks the pledge of a repaid or cancelled financing (any member may call it).
    function release(bytes32 financing) external;

    /// @notice The financier takes the pledged credits after claiming recourse.
    function seize(bytes32 financing) external;

    function pledgeOf(bytes32 financing) external view returns (Pledge memory);

    /// @notice Credits of `account` locked by live pledges.
    function lockedOf(address account, uint256 tokenId) external view returns (uint256);

    function retire(uint256 tokenId, uint256 kg, string calldata beneficiary, string calldata reason)
        external
        returns (uint256 retirement);

    function tokenIdOf(bytes32 project, uint16 vintage) external pure returns (uint256);

    function retiredTotal(uint256 tokenId) external view returns (uint256);
}
