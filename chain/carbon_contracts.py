"""Typed wrappers of the carbon contracts: devices and anchored reading batches."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from chain.contracts import BoundContract
from chain.sender import Receipt


class DeviceKind(IntEnum):
    NONE = 0
    ELECTRICITY_METER = 1
    GAS_METER = 2
    DIESEL_METER = 3
    REEFER_CONTAINER = 4
    TRUCK = 5
    OTHER = 6


DEVICE_STATUS = {0: "none", 1: "active", 2: "revoked"}

# the leaf encoding CarbonLedger.verifyReading checks, hashed as an OpenZeppelin StandardMerkleTree leaf:
# (deviceId, sequence, timestamp, metric, valueMilli, unit, binding)
READING_LEAF_TYPES = ("bytes32", "uint64", "uint64", "string", "int256", "string", "bytes32")


@dataclass(frozen=True)
class DeviceView:
    id: bytes
    owner: bytes
    kind: DeviceKind
    status: str
    generation: int
    registered_at: int
    signer: str
    binding: bytes


class DeviceRegistryContract(BoundContract):
    def register_device(self, device: bytes, kind: DeviceKind, binding: bytes, signer: str) -> Receipt:
        return self.transact("registerDevice", device, int(kind), binding, signer)

    def rotate_key(self, device: bytes, signer: str) -> Receipt:
        return self.transact("rotateKey", device, signer)

    def revoke_device(self, device: bytes) -> Receipt:
        return self.transact("revokeDevice", device)

    def device(self, device: bytes) -> DeviceView:
        d = list(self.call("device", device))
        return DeviceView(
            id=device,
            owner=bytes(d[0]),
            kind=DeviceKind(d[1]),
            status=DEVICE_STATUS[d[2]],
            generation=int(d[3]),
            registered_at=int(d[4]),
            signer=str(d[5]),
            binding=bytes(d[6]),
        )

    def is_valid_signer(self, device: bytes, signer: str, timestamp: int) -> bool:
        return bool(self.call("isValidSigner", device, signer, timestamp))


class CarbonLedgerContract(BoundContract):
    def anchor_readings(self, root: bytes, count: int, period_start: int, period_end: int) -> Receipt:
        return self.transact("anchorReadings", root, count, period_start, period_end)

    def register_factor_set(self, digest: bytes, version: str, uri: str) -> Receipt:
        return self.transact("registerFactorSet", digest, version, uri)

    def submit_statement(
        self,
        scope: int,
        period: tuple[int, int],
        subject: bytes,
        grams: int,
        factor_set: bytes,
        batches: list[bytes],
        result_hash: bytes,
    ) -> tuple[bytes, Receipt]:
        receipt = self.transact(
            "submitStatement", scope, period[0], period[1], subject, grams, factor_set, batches, result_hash
        )
        return bytes.fromhex(str(self.event(receipt, "StatementSubmitted").args["id"])[2:]), receipt

    def verify_statement(self, statement: bytes) -> Receipt:
        return self.transact("verifyStatement", statement)

    def verify_reading(self, root: bytes, proof: list[bytes], reading: tuple[Any, ...]) -> bool:
        return bool(self.call("verifyReading", root, proof, *reading))

    def reduction_of(self, current: bytes, baseline: bytes) -> int:
        """Grams CO2e the verified ``current`` statement is below the verified ``baseline``."""
        return int(self.call("reductionOf", current, baseline))

    def set_carbon_score(self, current: bytes, baseline: bytes) -> Receipt:
        return self.transact("setCarbonScore", current, baseline)

    def carbon_score(self, org: bytes) -> CarbonScoreView:
        bps, valid_until, current, baseline = self.call("carbonScore", org)
        return CarbonScoreView(int(bps), int(valid_until), bytes(current), bytes(baseline))


@dataclass(frozen=True)
class CarbonScoreView:
    reduction_bps: int  # verified reduction against the baseline, in basis points of the baseline
    valid_until: int  # Unix seconds; zero when the organisation has no score
    current: bytes
    baseline: bytes


@dataclass(frozen=True)
class PledgeView:
    account: str
    holder: bytes
    token_id: int
    kg: int
    closed: bool


class CarbonCreditsContract(BoundContract):
    def issue_credits(
        self, project: bytes, vintage: int, to: str, kg: int, statement: bytes, baseline: bytes
    ) -> tuple[int, Receipt]:
        """Credits for the verified reduction of ``statement`` against ``baseline`` (at most that many kg)."""
        receipt = self.transact("issueCredits", project, vintage, to, kg, statement, baseline)
        return int(self.event(receipt, "CreditsIssued").args["tokenId"]), receipt

    def pledge(self, financing: bytes, token: int, kg: int) -> Receipt:
        return self.transact("pledge", financing, token, kg)

    def release(self, financing: bytes) -> Receipt:
        return self.transact("release", financing)

    def seize(self, financing: bytes) -> Receipt:
        return self.transact("seize", financing)

    def pledge_of(self, financing: bytes) -> PledgeView:
        account, holder, token, kg, closed = self.call("pledgeOf", financing)
        return PledgeView(str(account), bytes(holder), int(token), int(kg), bool(closed))

    def locked_of(self, account: str, token: int) -> int:
        return int(self.call("lockedOf", account, token))

    def retire(self, token: int, kg: int, beneficiary: str, reason: str) -> Receipt:
        return self.transact("retire", token, kg, beneficiary, reason)

    def transfer(self, to: str, token: int, kg: int) -> Receipt:
        assert self.sender is not None, "bind a sender with .as_()"
        return self.transact("safeTransferFrom", self.sender.address, to, token, kg, b"")

    def balance_of(self, account: str, token: int) -> int:
        return int(self.call("balanceOf", account, token))
