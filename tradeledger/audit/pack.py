"""The audit pack on disk: a folder of plain files and ``pack.json``, the manifest that hashes them all.

Layout (every path relative to the pack folder)::

    pack.json                 the manifest: format, organisation, period, chain id, rule versions,
                              sha256 of every other file, and manifest_hash over all of that
    deployment.json           the deployment manifest (addresses, ABIs): enough to read the chain
    records/<kind>.json       documents, receivables, credits, readings, statements (what the
                              platform says; `audit check` compares every field with the chain)
    documents/<id>.json       each document's canonical bytes (the anchored commitment's preimage)
    sealed/<cid>              each document's encrypted copy, as the document store holds it
    factors/<file>.json       the emission factor sets the statements cite
    events.jsonl              the event log of the pack's records, one decoded event a line

Nothing in a pack needs the platform to be read: JSON, the documents' keys and salts, OpenZeppelin
Merkle proofs and kubo-identical CIDs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.errors import InvalidInput

FORMAT = "tradeledger-audit-pack/1"
MANIFEST = "pack.json"
DEPLOYMENT = "deployment.json"
EVENTS = "events.jsonl"
RECORD_KINDS = ("documents", "receivables", "credits", "readings", "statements")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_hash(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without its own ``manifest_hash`` field."""
    body = {k: v for k, v in manifest.items() if k != "manifest_hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def seal_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Hash every file of the pack into the manifest, hash the manifest, write ``pack.json``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest["files"] = {p.relative_to(folder).as_posix(): sha256_file(p) for p in files}
    manifest["manifest_hash"] = manifest_hash(manifest)
    write_json(folder / MANIFEST, manifest)
    return manifest


@dataclass
class Pack:
    """A pack folder opened for reading. Records are read as the files say; nothing is trusted yet."""

    folder: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, folder: Path) -> Pack:
        path = folder / MANIFEST
        if not path.is_file():
            raise InvalidInput(f"{folder} is not an audit pack: it has no {MANIFEST}", code="not_a_pack")
        try:
            manifest = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(
                f"{path} is not valid JSON ({exc}); the pack is damaged", code="pack_damaged"
            ) from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise InvalidInput(f"{path} is not a {FORMAT} manifest", code="not_a_pack")
        return cls(folder, manifest)

    def path(self, relative: str) -> Path:
        resolved = (self.folder / relative).resolve()
        if self.folder.resolve() not in resolved.parents:
            raise InvalidInput(f"the pack names a file outside itself: {relative}", code="pack_damaged")
        return resolved

    def read_bytes(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def records(self, kind: str) -> list[dict[str, Any]]:
        path = self.folder / "records" / f"{kind}.json"
        if not path.exists():
            return []
        value = json.loads(path.read_text())
        if not isinstance(value, list):
            raise InvalidInput(f"records/{kind}.json is not a list", code="pack_damaged")
        return value

    def events(self) -> list[dict[str, Any]]:
        path = self.folder / EVENTS
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
