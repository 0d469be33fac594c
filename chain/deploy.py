"""Deploys the consortium contracts and applies the role policy.

Order: AccessManager (deployer as temporary admin) -> UUPS proxies for
Participants (with the operator organisation) and DualControl -> the policy
from ``chain/policy.py`` -> governance roles -> ADMIN handed to DualControl
and renounced by the deployer. From then on every role grant, upgrade,
threshold change and reinstatement is a dual-control operation.
Deploying is idempotent: an existing manifest whose contracts have code is
reused as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes

from chain.client import DEPLOYER, OFFICERS, OPERATOR, Chain
from chain.compiler import Artifact
from chain.contracts import BoundContract
from chain.currencies import currency_exponent
from chain.errors import ConfigurationError
from chain.ids import org_id
from chain.manifest import ContractRecord, Manifest, load_manifest, manifest_path
from chain.policy import MEMBER_ROLES, POLICY, SYSTEM_CONTRACTS, Role, policy_hash
from chain.reverts import _canonical_type
from chain.sender import Receipt

log = logging.getLogger(__name__)

OPERATOR_HANDLE = "consortium-operator"
DEFAULT_REVIEW_THRESHOLD = 1_000_000_00  # advances above 1,000,000.00 (minor units) wait for a risk reviewer
DEFAULT_CUSTOMS_THRESHOLD = 2  # customs oracle organisations that must agree before a status is final
Progress = Callable[[str], None]


def selectors(abi: list[dict[str, Any]], fn: str) -> list[bytes]:
    """The selectors of every overload of ``fn`` (e.g. both ERC-721 ``safeTransferFrom``)."""
    matches = [i for i in abi if i.get("type") == "function" and i["name"] == fn]
    if not matches:
        raise ConfigurationError(f"the policy names {fn!r}, which is not a function of this contract")
    return [
        function_signature_to_4byte_selector(f"{fn}({','.join(_canonical_type(p) for p in m['inputs'])})")
        for m in matches
    ]


def existing_deployment(chain: Chain) -> Manifest | None:
    """The manifest for this chain if its contracts are really there."""
    if not manifest_path(chain.chain_id).exists():
        return None
    manifest = load_manifest(chain.chain_id)
    missing = sorted(set(POLICY) - set(manifest.contracts))
    if missing:
        log.warning(
            "the deployment on chain %s predates %s; deploying afresh (on a shared network, add contracts "
            "through dual control instead)",
            chain.chain_id,
            ", ".join(missing),
        )
        return None
    for record in manifest.contracts.values():
        if chain.w3.eth.get_code(to_checksum_address(record.address)) in (b"", HexBytes("0x")):
            log.warning(
                "manifest for chain %s points at %s without code; redeploying", chain.chain_id, record.address
            )
            return None
    return manifest


class _Deployer:
    def __init__(self, chain: Chain, progress: Progress) -> None:
        self.chain = chain
        self.progress = progress
        self.sender = chain.sender(DEPLOYER)
        self.records: dict[str, ContractRecord] = {}

    def _create(self, artifact: Artifact, ctor_types: list[str], ctor_args: list[Any]) -> Receipt:
        data = bytes(HexBytes(artifact.bytecode)) + encode(ctor_types, ctor_args)
        receipt = self.sender.transact({"data": data}, context=f"deploy {artifact.name}")
        if not receipt.contract_address:
            raise ConfigurationError(f"deploying {artifact.name} returned no contract address")
        return receipt

    def plain(self, name: str, ctor_types: list[str], ctor_args: list[Any]) -> str:
        self.progress(f"deploying {name}")
        artifact = self.chain.artifacts[name]
        receipt = self._create(artifact, ctor_types, ctor_args)
        address = to_checksum_address(str(receipt.contract_address))
        self.records[name] = ContractRecord(
            name, address, artifact.abi, artifact.abi_hash, receipt.block_number, receipt.tx_hash
        )
        return address

    def proxy(self, name: str, init_args: list[Any]) -> str:
        self.progress(f"deploying {name} (UUPS proxy)")
        artifact = self.chain.artifacts[name]
        impl = to_checksum_address(str(self._create(artifact, [], []).contract_address))
        init = BoundContract(self.chain.w3, name, impl, artifact.abi, self.chain.decoder).encode(
            "initialize", *init_args
        )
        receipt = self._create(self.chain.artifacts["ERC1967Proxy"], ["address", "bytes"], [impl, init])
        address = to_checksum_address(str(receipt.contract_address))
        version = BoundContract(self.chain.w3, name, address, artifact.abi, self.chain.decoder).call(
            "version"
        )
        self.records[name] = ContractRecord(
            name,
            address,
            artifact.abi,
            artifact.abi_hash,
            receipt.block_number,
            receipt.tx_hash,
            impl,
            version,
        )
        return address


def deploy(
    chain: Chain,
    *,
    operator_name: str = "Consortium Operator",
    threshold: int = 2,
    execution_delay: int | None = None,
    review_threshold: int = DEFAULT_REVIEW_THRESHOLD,
    customs_threshold: int = DEFAULT_CUSTOMS_THRESHOLD,
    progress: Progress | None = None,
) -> Manifest:
    """Deploy everything (or return the existing deployment) and save the manifest."""
    say = progress or (lambda msg: log.info("%s", msg))
    if existing := existing_deployment(chain):
        say(f"already deployed on chain {chain.chain_id}; using {manifest_path(chain.chain_id)}")
        chain.manifest = existing
        return existing
    delay = chain.network.governance_delay if execution_delay is None else execution_delay
    keys = chain.keystore
    deployer = keys.get_or_create(DEPLOYER).address
    operator = keys.get_or_create(OPERATOR).address
    officers = [keys.get_or_create(name).address for name in OFFICERS]
    d = _Deployer(chain, say)

    manager = d.plain("AccessManager", ["address"], [deployer])
    operator_org = org_id(OPERATOR_HANDLE)
    participants = d.proxy(
        "Participants", [manager, operator_org, operator_name, b"\x00" * 32, [operator, *officers]]
    )
    dual = d.proxy("DualControl", [manager, participants, threshold, delay])
    documents = d.proxy("DocumentRegistry", [manager, participants])
    orders = d.proxy("PurchaseOrders", [manager, participants, documents])
    receivables = d.proxy("Receivables", [manager, participants, documents, orders])
    token = d.proxy(
        "SettlementToken",
        [manager, participants, "Tokenized USD deposit", "USDd", b"USD", currency_exponent("USD")],
    )
    devices = d.proxy("DeviceRegistry", [manager, participants])
    carbon = d.proxy("CarbonLedger", [manager, participants])
    financing = d.proxy("Financing", [manager, participants, receivables, token, review_threshold, carbon])
    credits = d.proxy("CarbonCredits", [manager, participants, carbon, financing])
    credit = d.proxy("LettersOfCredit", [manager, participants, receivables, token])
    customs = d.proxy("CustomsAttestations", [manager, participants, customs_threshold])
    addresses = {
        "AccessManager": manager,
        "Participants": participants,
        "DualControl": dual,
        "DocumentRegistry": documents,
        "PurchaseOrders": orders,
        "Receivables": receivables,
        "SettlementToken": token,
        "Financing": financing,
        "DeviceRegistry": devices,
        "CarbonLedger": carbon,
        "CarbonCredits": credits,
        "LettersOfCredit": credit,
        "CustomsAttestations": customs,
    }

    am = BoundContract(
        chain.w3, "AccessManager", manager, chain.artifacts["AccessManager"].abi, chain.decoder, d.sender
    )
    say("applying the role policy")
    for contract, functions in POLICY.items():
        abi = chain.artifacts[contract].abi
        by_role: dict[Role, list[bytes]] = {}
        for fn, role in functions.items():
            by_role.setdefault(role, []).extend(selectors(abi, fn))
        for role, role_selectors in sorted(by_role.items()):
            am.transact("setTargetFunctionRole", addresses[contract], role_selectors, int(role))
    for role in Role:
        if role not in (Role.ADMIN, Role.PUBLIC):
            am.transact("labelRole", int(role), role.name)
    for role in MEMBER_ROLES:
        if role is not Role.OPERATOR:
            am.transact("setRoleAdmin", int(role), int(Role.REGISTRAR))
    am.transact("grantRole", int(Role.REGISTRAR), participants, 0)
    for contract in SYSTEM_CONTRACTS:
        am.transact("grantRole", int(Role.SYSTEM), addresses[contract], 0)
    am.transact("grantRole", int(Role.OPERATOR), operator, 0)
    for officer in officers:
        am.transact("grantRole", int(Role.GOVERNANCE_OFFICER), officer, 0)

    say("handing administration to DualControl")
    am.transact("grantRole", int(Role.ADMIN), dual, 0)
    am.transact("renounceRole", int(Role.ADMIN), deployer)

    first_block = min(r.block for r in d.records.values())
    manifest = Manifest(
        chain_id=chain.chain_id,
        network=chain.network.name,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        start_block=first_block,
        policy_hash=policy_hash(),
        contracts=d.records,
        governance={
            "threshold": threshold,
            "execution_delay": delay,
            "customs_threshold": customs_threshold,
            "operator_org": "0x" + operator_org.hex(),
            "operator": operator,
            "officers": officers,
            "deployer": deployer,
        },
    )
    path = manifest.save()
    chain.manifest = manifest
    say(f"deployed on chain {chain.chain_id}; manifest at {path}")
    return manifest
