"""``tradeledger audit check``: a pack re-verified against the chain alone.

Needs the pack folder and an RPC endpoint; no API, no database, no keys. In order: the pack's own
integrity (the manifest's hash, every file's sha256, no file added), then every event of the log
against the transaction receipts, every document against its anchor (and its encrypted copy against
its CID and key), every receivable, credit, reading and statement against the contracts' views, and
the results the platform attested — match results, UCP 600 examinations, emission statements —
recomputed from the pack's documents and readings with the pure engines and compared with the hashes
on chain. Every record gets a report; the pack passes only when every check of every report does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from hexbytes import HexBytes

from api.carbon.emissions import (
    EARLIER_ENGINES,
    FactorSet,
    FreightShipment,
    ReadingInput,
    Statement,
    compute,
    compute_freight,
)
from api.credit.examination import CreditTerms, Presentation, examine
from api.credit.service import digest, on_chain_terms
from api.trade.crossborder import COMBINED_RULES_VERSION, CustomsStatus, combine, match_cross_border
from api.trade.documents import (
    CustomsDeclaration,
    GoodsReceipt,
    Invoice,
    PaymentAdvice,
    PurchaseOrder,
    Shipment,
    from_canonical,
)
from api.trade.matching import RULES_VERSION as MATCH_RULES
from api.trade.matching import Tolerance, match
from chain.audit import AuditChain
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.credit_contracts import PresentationView
from chain.customs_contracts import DeclarationStatus
from chain.errors import ChainRevert, TradeLedgerError
from chain.ids import commitment, from_hex32, number_hash, to_hex32
from chain.manifest import Manifest
from tradeledger.audit.pack import DEPLOYMENT, MANIFEST, Pack, manifest_hash, sha256_file
from tradeledger.audit.report import Report
from tradeledger.audit.verify import (
    creation_event,
    last_holder,
    verify_credit,
    verify_document,
    verify_reading,
    verify_receivable,
)

Progress = Callable[[str], None]
# a document's canonical "type" (its model) and the name its record gives the type
RECORD_TYPES = {
    "PurchaseOrder": "purchase_order",
    "GoodsReceipt": "goods_receipt",
    "Shipment": "shipment",
    "Invoice": "invoice",
    "MatchResultDocument": "match_result",
    "PaymentAdvice": "payment",
    "CustomsDeclaration": "customs_declaration",
}


def check_pack(folder: Path, rpc_url: str, progress: Progress = lambda _: None) -> list[Report]:
    pack = Pack.open(folder)
    integrity = Report("pack", str(folder))
    reports = [integrity]
    _integrity(pack, integrity)
    try:
        manifest = Manifest.from_json(pack.read_bytes(DEPLOYMENT).decode())
    except (OSError, ValueError, TypeError, KeyError) as exc:
        integrity.check("deployment manifest", False, f"{DEPLOYMENT} cannot be read: {exc}")
        return reports
    audit = AuditChain(rpc_url, manifest)
    integrity.check(
        "chain",
        pack.manifest.get("chain_id") == manifest.chain_id,
        f"the pack is for chain {pack.manifest.get('chain_id')}; the node is chain {manifest.chain_id}",
    )
    progress("checking the event log against transaction receipts")
    reports.append(_events(audit, pack))
    contents: dict[str, bytes] = {}
    documents = pack.records("documents")
    progress(f"checking {len(documents)} documents against their anchors")
    reports += [_guarded("document", d, partial(_document, audit, pack, d, contents)) for d in documents]
    declarations: dict[str, tuple[dict[str, Any], bytes]] = {}
    records = pack.records("declarations")
    progress(f"checking {len(records)} customs declarations against their attestations")
    reports += [
        _guarded("customs declaration", d, partial(_declaration, audit, pack, d, declarations))
        for d in records
    ]
    receivables = pack.records("receivables")
    progress(f"checking {len(receivables)} receivables and recomputing their matches")
    reports += [
        _guarded("receivable", r, partial(check_receivable, audit, r, contents, declarations))
        for r in receivables
    ]
    credits = pack.records("credits")
    progress(f"checking {len(credits)} letters of credit and re-examining their presentations")
    reports += [_guarded("letter of credit", c, partial(check_credit, audit, c)) for c in credits]
    readings = {r["id"]: r for r in pack.records("readings")}
    progress(f"checking {len(readings)} readings against their anchored batches")
    reading_reports = {
        rid: _guarded("reading", r, partial(_reading, audit, r)) for rid, r in readings.items()
    }
    reports += list(reading_reports.values())
    statements = pack.records("statements")
    progress(f"recomputing {len(statements)} emission statements")
    reports += [
        _guarded("emission statement", s, partial(_statement, audit, pack, s, readings, reading_reports))
        for s in statements
    ]
    return reports


def _guarded(kind: str, record: dict[str, Any], check: Callable[[], Report]) -> Report:
    """A record the pack damaged (a file missing, a field absent or malformed) is a failed report."""
    try:
        return check()
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError, ChainRevert) as exc:
        report = Report(kind, str(record.get("id", "?")) if isinstance(record, dict) else "?")
        report.check(
            "record readable", False, f"the pack's record cannot be read: {type(exc).__name__}: {exc}"
        )
        return report


# --- the pack itself ------------------------------------------------------------------------------


def _integrity(pack: Pack, report: Report) -> None:
    recorded = pack.manifest.get("manifest_hash")
    report.check(
        "manifest hash",
        recorded == manifest_hash(pack.manifest),
        f"{MANIFEST} hashes to its manifest_hash"
        if recorded == manifest_hash(pack.manifest)
        else f"{MANIFEST} was changed: its content hashes to {manifest_hash(pack.manifest)[:16]}…, "
        f"it says {str(recorded)[:16]}…",
    )
    files: dict[str, str] = pack.manifest.get("files", {})
    present = {p.relative_to(pack.folder).as_posix() for p in pack.folder.rglob("*") if p.is_file()}
    for name in sorted(present - set(files) - {MANIFEST}):
        report.check("file listed", False, f"{name} is in the pack but not in its manifest")
    bad = []
    for name, sha in sorted(files.items()):
        path = pack.path(name)
        if not path.is_file():
            report.check("file present", False, f"{name} is listed in the manifest but missing")
        elif sha256_file(path) != sha:
            bad.append(name)
            report.check("file hash", False, f"{name} was changed: its sha256 is not the manifest's")
    if not bad:
        report.check("file hashes", True, f"all {len(files)} files have the sha256 the manifest lists")


def _events(audit: AuditChain, pack: Pack) -> Report:
    report = Report("event log", f"{len(pack.events())} events")
    receipts: dict[str, dict[int, Any]] = {}
    bad = 0
    for recorded in pack.events():
        tx = recorded["tx_hash"]
        if tx not in receipts:
            try:
                receipts[tx] = {e.log_index: e for e in audit.events_of_tx(tx)}
            except Exception:  # noqa: BLE001 - an unknown transaction hash is the finding itself
                receipts[tx] = {}
        actual = receipts[tx].get(recorded["log_index"])
        where = f"{recorded['contract']}.{recorded['name']} in tx {tx[:12]}… log {recorded['log_index']}"
        if actual is None:
            bad += report.check("event", False, f"{where}: no such log on chain")
            continue
        differs = [
            name
            for name, ok in (
                ("contract", actual.contract == recorded["contract"]),
                ("name", actual.name == recorded["name"]),
                ("block", actual.block_number == recorded["block"]),
                ("block hash", actual.block_hash == recorded["block_hash"]),
                ("arguments", json.loads(json.dumps(actual.args)) == recorded["args"]),
            )
            if not ok
        ]
        if differs:
            bad += 1
            report.check("event", False, f"{where}: {', '.join(differs)} differ from the chain")
    if not bad:
        report.check("events", True, f"every event of the log is on chain as recorded ({len(pack.events())})")
    return report


# --- documents ------------------------------------------------------------------------------------


def _document(audit: AuditChain, pack: Pack, record: dict[str, Any], contents: dict[str, bytes]) -> Report:
    doc_id = from_hex32(record["id"])
    content = pack.read_bytes(record["file"])
    contents[record["id"]] = content
    sealed = pack.read_bytes(record["sealed"]) if record.get("sealed") else None
    report = verify_document(
        audit,
        content,
        from_hex32(record["salt"]),
        doc_id=doc_id,
        sealed=sealed,
        key=bytes(HexBytes(record["key"])) if record.get("key") else None,
        cid=record.get("cid"),
    )
    report.subject = f"{record['id']} ({record['type']} {record['number']})"
    view = audit.document(doc_id)
    anchored = audit.anchored_event(doc_id)
    if view is None or anchored is None:
        return report
    content = json.loads(contents[record["id"]])
    first = audit.versions(doc_id)[0]
    numbered = audit.chain.documents().call(
        "documentId", first.issuer, int(first.doc_type), number_hash(record["number"])
    )
    order = bytes(
        audit.chain.orders().call("orderId", from_hex32(record["buyer"]), number_hash(record["po_number"]))
    )
    _fields(
        report,
        {
            "type": (record["type"], RECORD_TYPES.get(content.get("type"), view.doc_type.name.lower())),
            "issuer": (record["issuer"], to_hex32(view.issuer)),
            "commitment": (record["commitment"], to_hex32(view.commitment)),
            "anchored_block": (record["anchored_block"], anchored.block_number),
            "anchored_tx": (record["anchored_tx"], anchored.tx_hash),
            "number": (to_hex32(bytes(numbered)), to_hex32(first.id)),
            "po_number and buyer": (
                to_hex32(order),
                to_hex32(order) if audit.order_exists(order) else "no such order",
            ),
        },
    )
    return report


def _fields(report: Report, pairs: dict[str, tuple[Any, Any]]) -> None:
    """One check over recorded fields: each (recorded, on chain) pair must be equal."""
    wrong = [f"{k} (pack {rec!r}, chain {real!r})" for k, (rec, real) in pairs.items() if rec != real]
    report.check(
        "recorded fields",
        not wrong,
        f"{', '.join(pairs)} as on chain" if not wrong else "differ from the chain: " + "; ".join(wrong),
    )


def document_contents(pack: Pack) -> dict[str, bytes]:
    """The pack's documents' bytes by id, as the records name their files (unchecked)."""
    return {d["id"]: pack.read_bytes(d["file"]) for d in pack.records("documents")}


def declaration_contents(pack: Pack) -> dict[str, tuple[dict[str, Any], bytes]]:
    """The pack's customs declarations by commitment: each record with its bytes (unchecked)."""
    return {d["commitment"]: (d, pack.read_bytes(d["file"])) for d in pack.records("declarations")}


# --- customs declarations -------------------------------------------------------------------------


def _declaration(
    audit: AuditChain,
    pack: Pack,
    record: dict[str, Any],
    declarations: dict[str, tuple[dict[str, Any], bytes]],
) -> Report:
    """A declaration version: its bytes and salt give the commitment the customs oracles attested."""
    content = pack.read_bytes(record["file"])
    report = Report("customs declaration", f"{record['declaration_id']} ({record['number']})")
    digest_ = to_hex32(commitment(content, from_hex32(record["salt"])))
    attested = [
        e
        for e in audit.events("CustomsAttestations", ["CustomsAttestationRecorded"])
        if e.args["declarationId"] == record["declaration_id"] and e.args["contentCommitment"] == digest_
    ]
    report.add_history(audit, attested)
    report.check(
        "commitment",
        digest_ == record["commitment"],
        "keccak256(abi.encode(salt, bytes)) is the recorded commitment"
        if digest_ == record["commitment"]
        else "the declaration's bytes and salt do not give the recorded commitment",
    )
    report.check(
        "attested",
        bool(attested),
        f"{len(attested)} customs oracle attestation(s) of this content on chain",
    )
    _fields(report, {"number": (record["number"], json.loads(content).get("declaration_number"))})
    if report.ok:
        declarations[record["commitment"]] = (record, content)
    return report


# --- receivables ----------------------------------------------------------------------------------


def check_receivable(
    audit: AuditChain,
    record: dict[str, Any],
    contents: dict[str, bytes],
    declarations: dict[str, tuple[dict[str, Any], bytes]],
) -> Report:
    rid = int(record["id"], 16)
    report = verify_receivable(audit, rid)
    if not report.checks or not report.checks[0].ok:
        return report
    view = audit.chain.receivables().receivable(rid)
    _fields(
        report,
        {
            "creditor": (record["creditor"], to_hex32(view.creditor)),
            "debtor": (record["debtor"], to_hex32(view.debtor)),
            "holder": (record["holder"], to_hex32(holder) if (holder := last_holder(audit, rid)) else None),
            "currency": (record["currency"], view.currency),
            "face_value": (record["face_value"], view.face_value),
            "repaid": (record["repaid"], view.repaid),
            "status": (record["status"], view.status.name.lower()),
            "match_status": (record["match_status"], view.match_status.name.lower()),
            "match_result": (
                record["match_result"],
                to_hex32(view.match_result) if any(view.match_result) else None,
            ),
            "invoice": (record["invoice"], to_hex32(view.invoice)),
            "order": (record["order"], to_hex32(view.order)),
            "due_date": (record["due_date"], datetime.fromtimestamp(view.due_date, UTC).isoformat()),
            "waived": (record["waived"], view.waived),
            "parent": (
                record["parent"],
                "0x" + view.parent.to_bytes(32, "big").hex() if view.parent else None,
            ),
            "issued_block and issued_tx": (
                (record["issued_block"], record["issued_tx"]),
                (created.block_number, created.tx_hash) if (created := creation_event(audit, rid)) else None,
            ),
        },
    )
    if record.get("match_result"):
        for result_id in match_results_of(record, contents):
            _recompute_match(audit, report, record, result_id, contents, declarations)
    return report


def match_results_of(record: dict[str, Any], contents: dict[str, bytes]) -> list[str]:
    """The receivable's current match result and every earlier one about it in the pack."""
    earlier = []
    for doc_id, raw in contents.items():
        try:
            content = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if (
            isinstance(content, dict)
            and content.get("type") == "MatchResultDocument"
            and content.get("subject") == record["id"]
            and doc_id != record["match_result"]
        ):
            earlier.append(doc_id)
    return [record["match_result"], *sorted(earlier)]


def _recompute_match(
    audit: AuditChain,
    report: Report,
    record: dict[str, Any],
    result_id: str,
    contents: dict[str, bytes],
    declarations: dict[str, tuple[dict[str, Any], bytes]],
) -> None:
    """The attested match recomputed from the documents it cites (found by their keccak256): the
    receivables mode, and for cross-border orders the customs mode too, under the statuses the
    chain had finalised when the result was anchored."""
    result_bytes = contents.get(result_id)
    if result_bytes is None:
        report.check("match recomputed", False, "the match result document is not in the pack")
        return
    result = json.loads(result_bytes)
    if result["rules_version"] not in (MATCH_RULES, COMBINED_RULES_VERSION):
        report.check(
            "match recomputed", False, f"{result['rules_version']} is not a rules version known here"
        )
        return
    by_hash = {keccak(c).hex(): c for c in contents.values()}
    by_hash |= {keccak(raw).hex(): raw for _, raw in declarations.values()}
    found = [by_hash[h] for h in result["inputs"] if h in by_hash]
    if result.get("tolerance") is not None:
        tolerance = Tolerance.from_json(result["tolerance"])
    else:
        tolerance = Tolerance()
        report.facts["tolerance"] = (
            "the result does not cite its tolerances (anchored before results did); none assumed"
        )
    kinds: dict[str, list[bytes]] = {}
    for raw in found:
        kinds.setdefault(json.loads(raw)["type"], []).append(raw)
    invoice_bytes = contents.get(record["invoice"])
    try:
        po = from_canonical(PurchaseOrder, kinds["PurchaseOrder"][0])
        shipments = [from_canonical(Shipment, s) for s in kinds.get("Shipment", [])]
        recomputed = match(
            po,
            [from_canonical(GoodsReceipt, r) for r in kinds.get("GoodsReceipt", [])],
            shipments,
            from_canonical(Invoice, invoice_bytes or b""),
            prior_invoices=[
                from_canonical(Invoice, i) for i in kinds.get("Invoice", []) if i != invoice_bytes
            ],
            tolerance=tolerance,
        )
        if result["rules_version"] == COMBINED_RULES_VERSION:
            cited = [from_canonical(CustomsDeclaration, d) for d in kinds.get("CustomsDeclaration", [])]
            ids = {
                json.loads(raw)["declaration_number"]: rec["declaration_id"]
                for rec, raw in declarations.values()
            }
            anchored = audit.anchored_event(from_hex32(result_id))
            assert anchored is not None  # the document's own checks found its anchor
            statuses = customs_statuses_before(audit, ids, (anchored.block_number, anchored.log_index))
            payments = [from_canonical(PaymentAdvice, p) for p in kinds.get("PaymentAdvice", [])]
            customs = match_cross_border(
                po, payments, shipments, cited, customs=statuses, tolerance=tolerance
            )
            recomputed = combine(recomputed, customs)
    except (KeyError, ValueError, IndexError) as exc:
        report.check("match recomputed", False, f"the input documents cannot be read as a match: {exc}")
        return
    same = (
        "0x" + recomputed.result_hash().hex() == result["result_hash"]
        and recomputed.status == result["status"]
    )
    missing = len(set(result["inputs"]) - set(by_hash))
    report.check(
        "match recomputed",
        same,
        f"{recomputed.rules_version} on the pack's documents gives {recomputed.status}, the result "
        f"attested in {result_id[:12]}…"
        if same
        else f"recomputing gives {recomputed.status} ({recomputed.codes}); the result {result_id[:12]}… says "
        f"{result['status']} ({missing} of its inputs are not documents of the pack)",
    )


def customs_statuses_before(
    audit: AuditChain, declarations: dict[str, str], position: tuple[int, int]
) -> dict[str, CustomsStatus]:
    """Each declaration's status (by number) as the chain had finalised it before ``position`` (block,
    log index): the highest status finalised so far, and whether a conflict or a content change had
    been recorded — what the platform read when it matched."""
    statuses: dict[str, CustomsStatus] = {}
    events = audit.events(
        "CustomsAttestations",
        ["DeclarationStatusFinalised", "CustomsConflictRecorded", "DeclarationContentChanged"],
    )
    for number, declaration_id in declarations.items():
        status, conflicted = DeclarationStatus.NONE, False
        for e in events:
            if e.args["declarationId"] != declaration_id or (e.block_number, e.log_index) >= position:
                continue
            if e.name == "DeclarationStatusFinalised":
                status = max(status, DeclarationStatus(e.args["status"]))
            else:
                conflicted = True
        statuses[number] = CustomsStatus(status.name.lower(), conflicted)  # type: ignore[arg-type]
    return statuses


# --- letters of credit ----------------------------------------------------------------------------


def _examined(presentation: PresentationView) -> str | None:
    return to_hex32(presentation.examination) if any(presentation.examination) else None


def check_credit(audit: AuditChain, record: dict[str, Any]) -> Report:
    credit = from_hex32(record["id"])
    report = verify_credit(audit, credit)
    if not report.checks or not report.checks[0].ok:
        return report
    lcs = audit.chain.letters_of_credit()
    view = lcs.credit(credit)
    try:
        operative = on_chain_terms(record["terms"])
    except (KeyError, ValueError) as exc:
        report.check("terms", False, f"the pack's terms cannot be read: {exc}")
        return report
    report.check(
        "terms",
        operative == view.terms and digest(record["terms"]) == record["terms_hash"],
        "the pack's full terms hash to the credit's termsHash and give every operative term "
        "the contract holds"
        if operative == view.terms
        else "the pack's terms do not give the terms on chain (amount, tolerance, dates, flags or termsHash)",
    )
    applied = next(
        e for e in audit.events("LettersOfCredit", ["CreditApplied"]) if e.args["id"] == record["id"]
    )
    proposed = {
        e.args["number"]: e.args["termsHash"]
        for e in audit.events("LettersOfCredit", ["AmendmentProposed"])
        if e.args["id"] == record["id"]
    }
    derived = keccak(encode(["bytes32", "bytes32"], [view.applicant, number_hash(record["number"])]))
    presentations = {p["id"]: lcs.presentation(from_hex32(p["id"])) for p in record.get("presentations", [])}
    _fields(
        report,
        {
            "number": (to_hex32(derived), record["id"]),
            "applicant": (record["applicant"], to_hex32(view.applicant)),
            "issuing_bank": (record["issuing_bank"], to_hex32(view.issuing_bank)),
            "advising_bank": (record["advising_bank"], to_hex32(view.advising_bank)),
            "beneficiary": (record["beneficiary"], to_hex32(view.beneficiary)),
            "currency": (record["currency"], view.currency),
            "applied_block and applied_tx": (
                (record["applied_block"], record["applied_tx"]),
                (applied.block_number, applied.tx_hash),
            ),
            "amendments": (
                {a["number"]: (a["terms_hash"], digest(a["terms"])) for a in record.get("amendments", [])},
                {n: (h, h) for n, h in proposed.items()},
            ),
            "presentations": (
                {
                    p["id"]: (p["amount"], p["result_hash"], (p["report"] or {}).get("result_hash"))
                    for p in record.get("presentations", [])
                },
                {pid: (v.amount, _examined(v), _examined(v)) for pid, v in presentations.items()},
            ),
        },
    )
    candidates = [record["terms"], *(a["terms"] for a in record.get("amendments", []))]
    for p in record.get("presentations", []):
        on_chain = lcs.presentation(from_hex32(p["id"]))
        report.check(
            "presented documents",
            digest(p["documents"]) == to_hex32(on_chain.documents) == p["documents_hash"],
            f"presentation {p['id'][:12]}…: the documents hash to the commitment on chain",
        )
        if not any(on_chain.examination):
            continue
        hashes = set()
        for terms in candidates:
            try:
                hashes.add(
                    examine(
                        CreditTerms.model_validate(terms["credit_terms"]),
                        Presentation.model_validate(p["documents"]),
                    ).result_hash
                )
            except ValueError:
                continue
        same = to_hex32(on_chain.examination) in hashes
        report.check(
            "examination recomputed",
            same,
            f"presentation {p['id'][:12]}…: the UCP 600 engine gives the report hash recorded on chain"
            if same
            else f"presentation {p['id'][:12]}…: re-examining gives another report than the one on chain",
        )
    return report


# --- readings and statements ----------------------------------------------------------------------


def _reading(audit: AuditChain, record: dict[str, Any]) -> Report:
    report = verify_reading(
        audit, record["leaf"], record["proof"], record["root"], signature=record.get("signature")
    )
    report.subject = f"{record['id']} ({report.subject})"
    device = bytes(HexBytes(record["leaf"][0]))
    try:
        owner: str | None = to_hex32(audit.chain.devices().device(device).owner)
    except TradeLedgerError:
        owner = None
    _fields(
        report,
        {
            "owner": (record["owner"], owner),
            "leaf_encoding": (record["leaf_encoding"], list(READING_LEAF_TYPES)),
            "signer": (record["signer"], report.facts.get("signer")),
        },
    )
    return report


def _factor_set(pack: Pack, digest_hex: str) -> FactorSet | None:
    for path in sorted((pack.folder / "factors").glob("*.json")):
        raw = path.read_bytes()
        if "0x" + keccak(raw).hex() == digest_hex:
            data = json.loads(raw)
            return FactorSet(str(data["version"]), keccak(raw), dict(data["factors"]))
    return None


def _statement(
    audit: AuditChain,
    pack: Pack,
    record: dict[str, Any],
    readings: dict[int, dict[str, Any]],
    reading_reports: dict[int, Report],
) -> Report:
    report = Report("emission statement", record["id"])
    raw = audit.chain.carbon().call("statement", from_hex32(record["id"]))
    org, scope, start, end, grams = (
        to_hex32(bytes(raw[0])),
        int(raw[1]),
        int(raw[3]),
        int(raw[4]),
        int(raw[5]),
    )
    subject, factor_set, result_hash = to_hex32(bytes(raw[6])), to_hex32(bytes(raw[7])), bytes(raw[8])
    report.facts.update(
        {
            "organisation": f"{audit.organisation_name(bytes(raw[0]))} ({org})",
            "scope": scope,
            "grams CO2e": grams,
            "period": f"{start}–{end}",
            "factor_set": factor_set,
        }
    )
    _fields(
        report,
        {
            "org": (record["org"], org),
            "scope": (record["scope"], scope),
            "grams": (record["grams"], grams),
            "factor_set": (record["factor_set"], factor_set),
            "period": (record["period"], [start, end]),
            "subject": (record["subject"], subject),
            "batches": (record["batches"], [to_hex32(bytes(b)) for b in raw[9]]),
            "freight label": (
                to_hex32(keccak(text=record["freight"]["label"])) if "freight" in record else subject,
                subject,
            ),
        },
    )
    registered = {e.args["hash"] for e in audit.events("CarbonLedger", ["FactorSetRegistered"])}
    factors = _factor_set(pack, factor_set)
    if not report.check(
        "factor set",
        factors is not None and factor_set in registered,
        "the cited factor file is in the pack and registered on chain",
    ):
        return report
    assert factors is not None
    used = [readings.get(i) for i in record.get("readings", [])]
    unverified = [
        i for i in record.get("readings", []) if i not in reading_reports or not reading_reports[i].ok
    ]
    if not report.check(
        "readings",
        None not in used and not unverified,
        f"all {len(used)} readings it was computed from are in the pack and verify",
    ):
        return report
    inputs = [
        ReadingInput(
            r["leaf"][3], int(r["leaf"][4]), r["leaf"][6], int(r["leaf"][2]), r["root"], r["leaf"][0]
        )
        for r in used
        if r is not None
    ]
    regions = sorted({key.split(":", 1)[1] for key in factors.factors if ":" in key} | {"CN"})
    candidates: list[Statement] = []
    for region in regions:
        if scope == 3:
            shipments = [
                FreightShipment(
                    s["bl_number"],
                    s["transport_mode"],
                    Decimal(s["gross_weight_kg"]) if s["gross_weight_kg"] is not None else None,
                )
                for s in record.get("freight", {}).get("shipments", [])
            ]
            candidates.append(
                compute_freight(
                    inputs, factors, shipments, period=(start, end), region=region, subject=subject
                )
            )
        else:
            base = compute(inputs, factors, scope=scope, period=(start, end), region=region, subject=subject)
            candidates += [base, *(replace(base, engine=e) for e in EARLIER_ENGINES)]
    same = [c for c in candidates if c.grams == grams and c.result_hash() == result_hash]
    report.check(
        "statement recomputed",
        bool(same),
        f"{same[0].engine} on the pack's readings and factor file gives {grams} g and the result "
        "hash on chain"
        if same
        else f"recomputing from the pack's readings gives {candidates[0].grams} g; the chain says {grams} g "
        "(or another computation hash)",
    )
    return report
