"""The deployment manifest: one JSON file per chain id.

It names every contract with its proxy address, implementation, ABI (and the
ABI's hash), the block it was deployed in, and the hash of the role policy.
With an RPC endpoint and this file an auditor can read and check everything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chain.config import var_dir
from chain.errors import NotFound


@dataclass
class ContractRecord:
    name: str
    address: str
    abi: list[dict[str, Any]] = field(repr=False)
    abi_hash: str
    block: int
    tx_hash: str
    implementation: str | None = None
    version: str | None = None


@dataclass
class Manifest:
    chain_id: int
    network: str
    deployed_at: str
    start_block: int
    policy_hash: str
    contracts: dict[str, ContractRecord]
    governance: dict[str, Any] = field(default_factory=dict)

    def address(self, name: str) -> str:
        return self.record(name).address

    def record(self, name: str) -> ContractRecord:
        if name not in self.contracts:
            raise NotFound(f"contract {name!r} is not in the manifest for chain {self.chain_id}; redeploy?")
        return self.contracts[name]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        raw["contracts"] = {k: ContractRecord(**v) for k, v in raw["contracts"].items()}
        return cls(**raw)

    def save(self, path: Path | None = None) -> Path:
        path = path or manifest_path(self.chain_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)
        return path


def manifest_path(chain_id: int) -> Path:
    return var_dir() / "deployments" / f"{chain_id}.json"


def load_manifest(chain_id: int, path: Path | None = None) -> Manifest:
    path = path or manifest_path(chain_id)
    if not path.exists():
        raise NotFound(f"no deployment manifest for chain {chain_id} at {path}; run `tradeledger deploy`")
    return Manifest.from_json(path.read_text())
