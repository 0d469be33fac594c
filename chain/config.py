"""Reads brownie-config.yaml: compiler settings and named networks.

The network is chosen by ``TRADELEDGER_NETWORK`` (default: the file's
``networks.default``); ``TRADELEDGER_RPC_URL`` points any network at another
JSON-RPC endpoint, and ``TRADELEDGER_RPC_TIMEOUT`` bounds each call to it. Paths:
``TRADELEDGER_ROOT`` (project root, where brownie-config.yaml and node_modules
live) and ``TRADELEDGER_VAR_DIR`` (state: chain data, keystores, manifests;
default ``<root>/var``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from chain.errors import ConfigurationError

CONFIG_FILE = "brownie-config.yaml"


def project_root() -> Path:
    """The folder holding brownie-config.yaml (env ``TRADELEDGER_ROOT`` wins)."""
    if env := os.environ.get("TRADELEDGER_ROOT"):
        return Path(env).resolve()
    for candidate in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parent.parent):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ConfigurationError(
        f"cannot find {CONFIG_FILE}; run from the project folder or set TRADELEDGER_ROOT"
    )


def var_dir() -> Path:
    """Where runtime state lives (chain state, keystores, manifests)."""
    path = Path(os.environ.get("TRADELEDGER_VAR_DIR") or project_root() / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class CompilerSettings:
    version: str
    evm_version: str
    optimizer_enabled: bool
    optimizer_runs: int
    remappings: tuple[str, ...]


@dataclass(frozen=True)
class NetworkSettings:
    name: str
    kind: Literal["embedded", "external"]
    host: str | None
    chain_id: int | None
    gas_price: int | None  # None = ask the node
    confirmations: int
    governance_delay: int
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def _raw_config() -> dict[str, Any]:
    path = project_root() / CONFIG_FILE
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must be a YAML mapping")
    return data


def compiler_settings() -> CompilerSettings:
    solc = _raw_config()["compiler"]["solc"]
    return CompilerSettings(
        version=str(solc["version"]),
        evm_version=str(solc["evm_version"]),
        optimizer_enabled=bool(solc["optimizer"]["enabled"]),
        optimizer_runs=int(solc["optimizer"]["runs"]),
        remappings=tuple(solc.get("remappings", ())),
    )


DEFAULT_RPC_TIMEOUT = 30.0


def rpc_timeout() -> float:
    """Seconds one JSON-RPC call may take (env ``TRADELEDGER_RPC_TIMEOUT``); then the node is unavailable."""
    raw = os.environ.get("TRADELEDGER_RPC_TIMEOUT") or str(DEFAULT_RPC_TIMEOUT)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigurationError(f"TRADELEDGER_RPC_TIMEOUT must be a positive number of seconds, not {raw!r}")
    return seconds


def network_names() -> list[str]:
    return [name for name in _raw_config()["networks"] if name != "default"]


def network_settings(name: str | None = None) -> NetworkSettings:
    networks = _raw_config()["networks"]
    name = name or os.environ.get("TRADELEDGER_NETWORK") or networks["default"]
    if name not in networks or name == "default":
        raise ConfigurationError(
            f"unknown network {name!r}; choose one of {', '.join(network_names())} (defined in {CONFIG_FILE})"
        )
    raw = dict(networks[name])
    kind = raw.pop("kind", "external")
    host = raw.pop("host", None)
    if env_url := os.environ.get("TRADELEDGER_RPC_URL"):
        kind, host = "external", env_url
    if kind == "external" and not host:
        raise ConfigurationError(f"network {name!r} needs a host or TRADELEDGER_RPC_URL")
    gas = raw.pop("gas_price", "auto")
    return NetworkSettings(
        name=name,
        kind=kind,
        host=host if kind == "external" else None,
        chain_id=raw.pop("chain_id", None),
        gas_price=None if gas == "auto" else int(gas),
        confirmations=int(raw.pop("confirmations", 0)),
        governance_delay=int(raw.pop("governance_delay", 0)),
        extra=raw,
    )
