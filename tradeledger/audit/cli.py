"""``tradeledger verify`` and ``tradeledger audit export|check``.

``verify`` and ``audit check`` need only an RPC URL and the deployment manifest (or a pack, which
carries it): no API, no database, no keys. ``audit export`` runs where the platform runs.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from chain.audit import AuditChain
from chain.client import connect_web3
from chain.errors import ConfigurationError, InvalidInput, NotFound, TradeLedgerError
from chain.ids import from_hex32
from chain.manifest import Manifest, load_manifest
from tradeledger.audit.api_source import ApiSource
from tradeledger.audit.check import (
    check_credit,
    check_pack,
    check_receivable,
    declaration_contents,
    document_contents,
)
from tradeledger.audit.pack import DEPLOYMENT, Pack
from tradeledger.audit.report import Report, render
from tradeledger.audit.verify import verify_credit, verify_document, verify_reading, verify_receivable

audit_app = typer.Typer(
    help="Audit packs: export an organisation's records for a period; check a pack against the chain alone.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

Rpc = Annotated[
    str | None,
    typer.Option(
        "--rpc",
        help="JSON-RPC URL of a node of the network (default: TRADELEDGER_RPC_URL, or the "
        "embedded node `make run` started)",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print the report as JSON")]
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _rpc(rpc: str | None) -> str:
    if rpc:
        return rpc
    if os.environ.get("TRADELEDGER_RPC_URL"):
        return os.environ["TRADELEDGER_RPC_URL"]
    from tradeledger.runtime import running_node_url

    url = running_node_url()
    if url is None:
        raise ConfigurationError(
            "no node to read: give --rpc http://… (or set TRADELEDGER_RPC_URL, or start the stack "
            "with make run)",
            code="no_rpc",
        )
    return url


def _manifest(path: Path | None, pack: Pack | None, rpc: str) -> Manifest:
    if path is not None:
        return Manifest.from_json(path.read_text())
    if pack is not None:
        return Manifest.from_json(pack.read_bytes(DEPLOYMENT).decode())
    return load_manifest(int(connect_web3(rpc).eth.chain_id))


def _print(reports: list[Report], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in reports], default=str))
    else:
        for report in reports:
            render(report, console)
    failed = [r for r in reports if not r.ok]
    if not as_json:
        if failed:
            console.print(f"\n[bold red]{len(failed)} of {len(reports)} record(s) did not verify:[/]")
            for r in failed:
                for c in r.failures or []:
                    console.print(f"  [red]✗[/] {r.kind} {r.subject}: {c.what} — {c.detail}")
                if not r.checks:
                    console.print(f"  [red]✗[/] {r.kind} {r.subject}: nothing could be checked")
        else:
            console.print(f"\n[bold green]all {len(reports)} record(s) verified against the chain[/]")
    if failed:
        raise typer.Exit(1)


def _from_pack(pack: Pack, target: str) -> dict[str, Any] | None:
    for kind in ("documents", "readings"):
        for record in pack.records(kind):
            if str(record["id"]).lower() == target.lower():
                return {"kind": kind, **record}
    return None


def _document_args(pack: Pack, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": pack.read_bytes(record["file"]),
        "salt": from_hex32(record["salt"]),
        "doc_id": from_hex32(record["id"]),
        "sealed": pack.read_bytes(record["sealed"]) if record.get("sealed") else None,
        "key": bytes.fromhex(record["key"][2:]) if record.get("key") else None,
        "cid": record.get("cid"),
    }


def verify_target(
    audit: AuditChain,
    target: str,
    *,
    pack: Pack | None = None,
    salt: str | None = None,
    key: str | None = None,
    doc_id: str | None = None,
    sealed: bool = False,
    api: ApiSource | None = None,
) -> Report:
    """What ``tradeledger verify TARGET`` checks: a file, a reading id, or an 0x… id."""
    if api is not None:
        fetched = _from_api(audit, api, target)
        if fetched is not None:
            return fetched
    record = _from_pack(pack, target) if pack is not None else None
    if record is not None and record["kind"] == "documents":
        return verify_document(audit, **_document_args(pack, record))  # type: ignore[arg-type]
    if record is not None and record["kind"] == "readings":
        return verify_reading(
            audit, record["leaf"], record["proof"], record["root"], signature=record.get("signature")
        )
    if pack is not None and HEX32.match(target):
        recomputed = _pack_record_check(pack, audit, target)
        if recomputed is not None:
            return recomputed
    path = Path(target)
    if path.is_file():
        return _verify_file(audit, path, salt=salt, key=key, doc_id=doc_id, sealed=sealed)
    if target.isdigit():
        raise NotFound(
            f"reading {target}: give the pack it is in (--pack) or the proof file "
            f"GET /readings/{target}/proof "
            "returned",
            code="reading_not_found",
        )
    if not HEX32.match(target):
        raise InvalidInput(
            f"{target!r} is neither a file, a reading id nor an 0x… id of 64 hex digits",
            code="invalid_target",
        )
    for found in (verify_receivable(audit, int(target, 16)), verify_credit(audit, from_hex32(target))):
        if found.checks[0].ok:
            return found
    if audit.document(from_hex32(target)) is not None:
        raise InvalidInput(
            f"{target} is a document: give its file and salt (tradeledger verify FILE --salt …) or --pack",
            code="document_needs_file",
        )
    raise NotFound(f"{target} is no receivable, letter of credit or document on this chain", code="not_found")


def _from_api(audit: AuditChain, api: ApiSource, target: str) -> Report | None:
    """A reading or a document with the material the API gives its party; None for other targets."""
    if target.isdigit():
        proof = api.reading(target)
        return verify_reading(
            audit, proof["leaf"], proof["proof"], proof["root"], signature=proof.get("signature")
        )
    if not HEX32.match(target) or (document := api.document(target)) is None:
        return None
    if document["salt"] is None:
        raise NotFound(f"the API gives no salt for document {target}", code="no_copy")
    return verify_document(
        audit,
        json.dumps(document["content"]).encode(),  # re-canonicalised by verify_document
        from_hex32(document["salt"]),
        doc_id=from_hex32(target),
        sealed=document["sealed"],
        key=bytes.fromhex(document["key"].removeprefix("0x")) if document["key"] else None,
        cid=document["cid"],
    )


def _pack_record_check(pack: Pack, audit: AuditChain, target: str) -> Report | None:
    """A receivable or credit the pack holds: verified with its documents, so the match or the
    examination is recomputed too."""
    for record in pack.records("receivables"):
        if record["id"] == target.lower():
            return check_receivable(audit, record, document_contents(pack), declaration_contents(pack))
    for record in pack.records("credits"):
        if record["id"] == target.lower():
            return check_credit(audit, record)
    return None


def _verify_file(
    audit: AuditChain, path: Path, *, salt: str | None, key: str | None, doc_id: str | None, sealed: bool
) -> Report:
    data = path.read_bytes()
    if not sealed:
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            parsed = None
        if isinstance(parsed, dict) and {"leaf", "proof", "root"} <= parsed.keys():
            signature = parsed.get("signature") or (parsed.get("reading") or {}).get("signature")
            return verify_reading(audit, parsed["leaf"], parsed["proof"], parsed["root"], signature=signature)
    if salt is None:
        raise InvalidInput(
            "a document is checked with its salt: --salt 0x… (GET /documents/{id}/key gives it), or --pack",
            code="salt_required",
        )
    if sealed and (key is None or doc_id is None):
        raise InvalidInput("an encrypted copy needs --key and --id to be opened", code="key_required")
    if sealed:
        assert key is not None and doc_id is not None
        from chain.docstore import open_sealed

        try:
            plain = open_sealed(data, bytes.fromhex(key.removeprefix("0x")), from_hex32(doc_id))
        except (TradeLedgerError, ValueError) as exc:
            raise InvalidInput(
                f"cannot open {path} with that key and id: {exc}", code="decryption_failed"
            ) from exc
        return verify_document(
            audit,
            plain,
            from_hex32(salt),
            doc_id=from_hex32(doc_id),
            sealed=data,
            key=bytes.fromhex(key.removeprefix("0x")),
        )
    return verify_document(audit, data, from_hex32(salt), doc_id=from_hex32(doc_id) if doc_id else None)


def verify(
    target: Annotated[
        str,
        typer.Argument(
            help="a document file, a reading proof file (JSON), a reading id "
            "(with --pack), or a receivable, letter of credit or document 0x… id"
        ),
    ],
    salt: Annotated[str | None, typer.Option(help="the document's commitment salt (0x…)")] = None,
    key: Annotated[str | None, typer.Option(help="the document's AES-256 key (0x…), for --sealed")] = None,
    doc_id: Annotated[str | None, typer.Option("--id", help="the document id (0x…), if known")] = None,
    sealed: Annotated[bool, typer.Option("--sealed", help="the file is the encrypted copy")] = False,
    pack: Annotated[
        Path | None, typer.Option(help="an audit pack to take documents, salts, keys and proofs from")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            help="the deployment manifest (default: the pack's, or var/deployments/<chain id>.json)"
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            envvar="TRADELEDGER_API_URL",
            help="take a document's content, salt and key, or a "
            "reading's proof, from the platform's API (http://host:8000); checks stay on chain",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="TRADELEDGER_API_KEY", help="your API key, with --api")
    ] = None,
    rpc: Rpc = None,
    as_json: AsJson = False,
) -> None:
    """Check a document, reading, receivable or letter of credit against the chain alone.

    Finds the anchor, the issuer, block and time, the version and status history from events and the
    match or examination result, and checks every proof. Exit code 0 only when everything verifies."""
    try:
        url = _rpc(rpc)
        opened = Pack.open(pack) if pack is not None else None
        audit = AuditChain(url, _manifest(manifest, opened, url))
        if api is not None and not api_key:
            raise InvalidInput("--api needs --api-key (or TRADELEDGER_API_KEY)", code="api_key_required")
        source = ApiSource(api, api_key or "") if api is not None else None
        report = verify_target(
            audit, target, pack=opened, salt=salt, key=key, doc_id=doc_id, sealed=sealed, api=source
        )
    except TradeLedgerError as exc:
        err.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
        raise typer.Exit(2) from exc
    except ValueError as exc:  # a salt, key or id that is not 32 bytes of hex
        err.print(f"[bold red]error[/] [dim](invalid_input)[/]: {exc}; give 0x and 64 hex digits")
        raise typer.Exit(2) from exc
    _print([report], as_json)


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time (e.g. 2026-01-01T00:00:00Z)") from exc
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no timezone; add Z or an offset such as +08:00")
    return moment


@audit_app.command("export")
def export(
    org: Annotated[str, typer.Option("--org", help="the organisation: handle (acme-motors) or 0x… id")],
    start: Annotated[str, typer.Option("--from", help="start of the period, ISO 8601 with a timezone")],
    end: Annotated[str, typer.Option("--to", help="end of the period, ISO 8601 with a timezone")],
    out: Annotated[Path, typer.Option("--out", help="the pack folder to write (new or empty)")] = Path(
        "audit-pack"
    ),
) -> None:
    """Write ORG's records of the period as a self-contained pack: records, documents with their keys,
    Merkle proofs, the event log, factor sets, rule versions, and a manifest hashing everything."""
    from sqlmodel import Session

    from chain.ids import to_hex32
    from tradeledger.audit.export import export_pack
    from tradeledger.fleet import resolve_org
    from tradeledger.runtime import open_stack

    period = (_when(start), _when(end))
    try:
        stack = open_stack()
        with console.status("syncing the index") as status:
            stack.indexer.sync()
            with Session(stack.engine) as session:
                manifest = export_pack(
                    stack.chain,
                    session,
                    to_hex32(resolve_org(org)),
                    *period,
                    out,
                    progress=lambda m: status.update(m),
                )
    except TradeLedgerError as exc:
        err.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
        raise typer.Exit(1) from exc
    counts = ", ".join(f"{n} {k}" for k, n in manifest["counts"].items())
    console.print(f"[green]wrote[/] {out}: {counts}")
    console.print(
        f"manifest hash [bold]{manifest['manifest_hash']}[/] — note it: `tradeledger audit check "
        f"{out} --rpc …` re-verifies the pack against the chain alone"
    )


@audit_app.command("check")
def check(
    pack: Annotated[Path, typer.Argument(help="the pack folder")],
    rpc: Rpc = None,
    expect_hash: Annotated[
        str | None,
        typer.Option(
            "--manifest-hash",
            help="the manifest hash the exporter gave you; the pack must carry exactly that one",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Re-verify a whole pack against the chain alone (no API, no database): every file's hash, every
    event, document, receivable, credit, reading and statement, and the recomputed match results,
    examinations and emission statements. Exit code 0 only when everything verifies."""
    try:
        url = _rpc(rpc)
        with console.status("checking the pack") as status:
            reports = check_pack(pack, url, progress=lambda m: status.update(m))
    except TradeLedgerError as exc:
        err.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.detail}")
        raise typer.Exit(2) from exc
    if expect_hash is not None:
        reports[0].check(
            "expected manifest hash",
            Pack.open(pack).manifest.get("manifest_hash") == expect_hash,
            "the pack's manifest hash is the one the exporter gave",
        )
    _print(reports, as_json)
