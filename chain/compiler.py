"""Compiles the Solidity sources with py-solc-x.

By default solc is solc-js (npm ``solc``) behind ``chain/solc_shim.mjs``, which
behaves like the native CLI; ``TRADELEDGER_SOLC`` names a native solc binary
instead. Artifacts (ABI and bytecode per contract) go to ``build/contracts`` and
are rebuilt only when a source, an imported package (package-lock.json) or a
compiler setting changes; the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from chain.config import compiler_settings, project_root
from chain.errors import ConfigurationError, InvalidInput

log = logging.getLogger(__name__)

# OpenZeppelin contracts deployed unchanged; other library sources yield no artifact.
DEPLOYED_AS_IS = {"AccessManager", "ERC1967Proxy"}
OUTPUT_SELECTION = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"]


@dataclass(frozen=True)
class Artifact:
    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str

    @property
    def abi_hash(self) -> str:
        return "0x" + hashlib.sha256(json.dumps(self.abi, sort_keys=True).encode()).hexdigest()


def solc_binary() -> Path:
    """The solc executable: ``TRADELEDGER_SOLC`` or a wrapper around the solc-js shim."""
    if native := os.environ.get("TRADELEDGER_SOLC"):
        return Path(native)
    root = project_root()
    if not (root / "node_modules" / "solc").is_dir():
        raise ConfigurationError("solc-js is not installed; run `npm ci` (or `make bootstrap`) first")
    node = shutil.which("node")
    if node is None:
        raise ConfigurationError("Node.js 20+ is needed to run solc-js; install it or set TRADELEDGER_SOLC")
    wrapper = root / "build" / "bin" / "solc"
    script = f'#!/bin/sh\nTRADELEDGER_ROOT="{root}" exec "{node}" "{root / "chain" / "solc_shim.mjs"}" "$@"\n'
    if not wrapper.exists() or wrapper.read_text() != script:
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(script)
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return wrapper


def standard_input(source_dirs: list[Path]) -> dict[str, Any]:
    """The solc standard-JSON input for every ``.sol`` file below ``source_dirs``."""
    root = project_root()
    settings = compiler_settings()
    sources: dict[str, Any] = {}
    for folder in source_dirs:
        for path in sorted(folder.rglob("*.sol")):
            sources[path.relative_to(root).as_posix()] = {"content": path.read_text()}
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": settings.evm_version,
            "optimizer": {"enabled": settings.optimizer_enabled, "runs": settings.optimizer_runs},
            "remappings": list(settings.remappings),
            "outputSelection": {"*": {"*": OUTPUT_SELECTION}},
        },
    }


def _input_hash(data: dict[str, Any]) -> str:
    root = project_root()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode())
    lock = root / "package-lock.json"
    if lock.exists():
        digest.update(lock.read_bytes())
    digest.update(compiler_settings().version.encode())
    return digest.hexdigest()


def compile_sources(source_dirs: list[Path], out_dir: Path, *, force: bool = False) -> dict[str, Artifact]:
    """Compile (if anything changed) and return the artifacts by contract name."""
    data = standard_input(source_dirs)
    if not data["sources"]:
        raise InvalidInput(f"no Solidity sources below {', '.join(map(str, source_dirs))}")
    key = _input_hash(data)
    stamp = out_dir / ".input-hash"
    if force or not stamp.exists() or stamp.read_text() != key:
        log.info(
            "compiling %d Solidity files with solc %s", len(data["sources"]), compiler_settings().version
        )
        try:
            output = solcx.compile_standard(data, base_path=str(project_root()), solc_binary=solc_binary())
        except solcx.exceptions.SolcError as exc:
            detail = f"the contracts do not compile:\n{_error_messages(exc)}"
            raise InvalidInput(detail, code="compile_error") from exc
        _write_artifacts(output, out_dir)
        stamp.write_text(key)
    return load_artifacts(out_dir)


def _error_messages(exc: solcx.exceptions.SolcError) -> str:
    """Only solc's own error messages, not the whole standard-JSON output."""
    try:
        errors = json.loads(exc.stdout_data or "")["errors"]
    except (ValueError, KeyError, TypeError):
        return str(exc.message)
    return "\n".join(e["formattedMessage"] for e in errors if e.get("severity") == "error")


def _write_artifacts(output: dict[str, Any], out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for source, contracts in sorted(output["contracts"].items()):
        for name, body in sorted(contracts.items()):
            if source.startswith(("node_modules/", "@")) and name not in DEPLOYED_AS_IS:
                continue
            artifact = {
                "contractName": name,
                "sourceName": source,
                "abi": body["abi"],
                "bytecode": "0x" + body["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + body["evm"]["deployedBytecode"]["object"],
            }
            (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")


def load_artifacts(out_dir: Path) -> dict[str, Artifact]:
    artifacts: dict[str, Artifact] = {}
    for path in sorted(out_dir.glob("*.json")):
        raw = json.loads(path.read_text())
        artifacts[raw["contractName"]] = Artifact(
            name=raw["contractName"],
            source=raw["sourceName"],
            abi=raw["abi"],
            bytecode=raw["bytecode"],
            deployed_bytecode=raw["deployedBytecode"],
        )
    return artifacts


def build_dir() -> Path:
    return project_root() / "build" / "contracts"


def compile_project(*, force: bool = False) -> dict[str, Artifact]:
    """Compile ``contracts/`` into ``build/contracts``."""
    return compile_sources([project_root() / "contracts"], build_dir(), force=force)


def main() -> None:  # pragma: no cover - thin entry point for `python -m chain.compiler`
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    artifacts = compile_project(force="--force" in sys.argv)
    log.info("%d contract artifacts in %s", len(artifacts), build_dir())


if __name__ == "__main__":
    main()
