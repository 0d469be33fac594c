"""``tradeledger verify``: one record checked against the chain alone.

Each function takes an :class:`~chain.audit.AuditChain` (an RPC URL and the deployment manifest)
and returns a :class:`~tradeledger.audit.report.Report`: what the chain says about the record
(anchor, issuer, block and time, the version and status history from events) and every check with
its verdict. Nothing here reads the platform's database or API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eth_utils import to_checksum_address

from chain import merkle
from chain.audit import AuditChain
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.credit_contracts import CreditStatus, PresentationStatus
from chain.docstore import cid_of, open_sealed
from chain.errors import ChainRevert, TradeLedgerError
from chain.events import ChainEvent
from chain.ids import commitment, to_hex32
from chain.trade_contracts import DocumentType, MatchStatus, ReceivableStatus
from iot.readings import Domain, PayloadError, Reading, ReadingVerifier
from tradeledger.audit.report import Report

# The canonical form's "type" (the document model's class name) and the on-chain document type.
CANONICAL_TYPES = {
    "PurchaseOrder": DocumentType.PURCHASE_ORDER,
    "GoodsReceipt": DocumentType.GOODS_RECEIPT,
    "Shipment": DocumentType.SHIPMENT,
    "Invoice": DocumentType.INVOICE,
    "MatchResultDocument": DocumentType.MATCH_RESULT,
    "CustomsDeclaration": DocumentType.CUSTOMS_DECLARATION,
    "PaymentAdvice": DocumentType.OTHER,
}
ZERO32 = bytes(32)
ZERO_ADDRESS = to_checksum_address("0x" + "00" * 20)


def recanonical(data: bytes) -> bytes | None:
    """The canonical bytes of a JSON document saved in any formatting (None when it is not JSON)."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


V = TypeVar("V")


def on_chain(read: Callable[[], V]) -> V | None:
    """A contract view's answer, or None when the contract reverts (no such record)."""
    try:
        return read()
    except ChainRevert:
        return None


def _org(audit: AuditChain, org: bytes) -> str:
    return f"{audit.organisation_name(org)} ({to_hex32(org)})"


# --- documents ------------------------------------------------------------------------------------


def verify_document(
    audit: AuditChain,
    content: bytes,
    salt: bytes,
    *,
    doc_id: bytes | None = None,
    sealed: bytes | None = None,
    key: bytes | None = None,
    cid: str | None = None,
) -> Report:
    """A document's bytes (or its encrypted copy and key) against its anchor.

    ``content`` is the canonical JSON (any formatting of it is re-canonicalised); with ``sealed``
    and ``key`` the encrypted copy is opened with the document id as associated data and must give
    the same bytes, and its CID is recomputed (and compared with ``cid`` when given)."""
    report = Report("document", to_hex32(doc_id) if doc_id else "(by commitment)")
    candidates = [content] + [c for c in [recanonical(content)] if c is not None and c != content]
    digests = [commitment(c, salt) for c in candidates]
    if doc_id is not None:
        view = audit.document(doc_id)
        if not report.check("anchored", view is not None, f"document {to_hex32(doc_id)} is on chain"):
            return report
        assert view is not None
        matching = [i for i, d in enumerate(digests) if d == view.commitment]
        report.check(
            "commitment",
            bool(matching),
            f"keccak256(abi.encode(salt, bytes)) = {to_hex32(view.commitment)}, the anchored commitment"
            if matching
            else f"the bytes and salt give {to_hex32(digests[0])}, the anchor holds "
            f"{to_hex32(view.commitment)}: the file or the salt is not the one anchored",
        )
    else:
        anchors = [(i, e) for i, d in enumerate(digests) for e in audit.anchors_of_commitment(d)]
        if not report.check(
            "commitment",
            bool(anchors),
            f"found the anchor of commitment {to_hex32(digests[anchors[0][0]])}"
            if anchors
            else f"no document on chain has commitment {to_hex32(digests[0])}: the file or the salt "
            "is not one that was anchored",
        ):
            return report
        matching = [anchors[0][0]]
        doc_id = bytes.fromhex(anchors[0][1].args["id"][2:])
        view = audit.document(doc_id)
        assert view is not None
        report.subject = to_hex32(doc_id)
    canonical = candidates[matching[0]] if matching else candidates[0]
    _document_facts(audit, report, doc_id, view.doc_type, view.issuer)
    _document_type(report, canonical, view.doc_type)
    if sealed is not None:
        _sealed_copy(report, canonical, doc_id, sealed, key, cid)
    return report


def _document_facts(
    audit: AuditChain, report: Report, doc_id: bytes, doc_type: DocumentType, issuer: bytes
) -> None:
    versions = audit.versions(doc_id)
    this = next(v for v in versions if v.id == doc_id)
    report.facts.update(
        {
            "type": doc_type.name.lower(),
            "issuer": _org(audit, issuer),
            "version": f"{this.version} of {len(versions)}",
            "refs": [to_hex32(r) for r in this.refs],
        }
    )
    if this.superseded_by != ZERO32:
        report.facts["superseded_by"] = to_hex32(this.superseded_by)
    events = [e for v in versions if (e := audit.anchored_event(v.id)) is not None]
    report.add_history(audit, events)
    anchored = audit.anchored_event(doc_id)
    if anchored is not None:
        report.facts.update({f"anchored_{k}": v for k, v in audit.anchor(anchored).as_dict().items()})
    report.check(
        "issuer",
        audit.organisation_role(issuer) != "none",
        f"issued by {_org(audit, issuer)}, a registered organisation",
    )
    report.check(
        "version history",
        len(events) == len(versions)
        and all(v.previous == (versions[i - 1].id if i else ZERO32) for i, v in enumerate(versions)),
        f"{len(versions)} version(s), each anchored with an event and linked to the one before",
    )


def _document_type(report: Report, canonical: bytes, on_chain: DocumentType) -> None:
    try:
        declared = json.loads(canonical).get("type")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        declared = None
    if declared in CANONICAL_TYPES:
        report.check(
            "document type",
            CANONICAL_TYPES[declared] == on_chain,
            f"the file is a {declared}; the anchor's type is {on_chain.name.lower()}",
        )


def _sealed_copy(
    report: Report, canonical: bytes, doc_id: bytes, sealed: bytes, key: bytes | None, cid: str | None
) -> None:
    computed = str(cid_of(sealed))
    report.facts["cid"] = computed
    if cid is not None:
        report.check("cid", computed == cid, f"the encrypted copy's CID is {computed} (recorded {cid})")
    if key is None:
        report.check("encrypted copy", False, "an encrypted copy needs its key (--key) to be opened")
        return
    try:
        plain = open_sealed(sealed, key, doc_id)
    except (TradeLedgerError, ValueError) as exc:  # a wrong key, a changed byte, a key of the wrong size
        report.check("encrypted copy", False, f"cannot open it: {exc}")
        return
    report.check(
        "encrypted copy",
        plain == canonical,
        "AES-256-GCM with the document id as associated data opens to the anchored bytes"
        if plain == canonical
        else "the encrypted copy opens to other bytes than the anchored document",
    )


# --- receivables ----------------------------------------------------------------------------------

RECEIVABLE_EVENTS = (
    "ReceivableIssued",
    "MatchAttested",
    "ReceivableConfirmed",
    "ReceivableSplit",
    "RepaymentRecorded",
    "ReceivableOverdue",
)


def receivable_events(audit: AuditChain, rid: int) -> list[Any]:
    """The receivable's own events, its transfers, and every event of its financings."""
    own = [
        e
        for e in audit.events("Receivables")
        if (e.name in RECEIVABLE_EVENTS and e.args.get("id") == rid)
        or (e.name == "Transfer" and e.args.get("tokenId") == rid)
    ]
    financing = audit.events("Financing")
    ids = {e.args["id"] for e in financing if e.name == "FinancingRequested" and e.args["receivable"] == rid}
    return own + [
        e
        for e in financing
        if e.args.get("id") in ids or (e.name == "RepaymentMade" and e.args["receivable"] == rid)
    ]


def holder_of(audit: AuditChain, rid: int) -> bytes | None:
    """The organisation holding the receivable; None once it is split (its token is burned)."""
    try:
        return audit.chain.receivables().holder_of(rid)
    except ChainRevert as exc:
        if exc.error == "ERC721NonexistentToken":
            return None
        raise


def last_holder(audit: AuditChain, rid: int) -> bytes | None:
    """The organisation that held the receivable last: its holder, or whoever held it when it was split."""
    holder = holder_of(audit, rid)
    if holder is not None:
        return holder
    burns = [
        e
        for e in audit.events("Receivables", ["Transfer"])
        if e.args["tokenId"] == rid and to_checksum_address(e.args["to"]) == ZERO_ADDRESS
    ]
    return audit.chain.participants().org_of(burns[-1].args["from"]) if burns else None


def creation_event(audit: AuditChain, rid: int) -> ChainEvent | None:
    """The event that created the receivable: its issuance, or the split of its parent."""
    for e in audit.events("Receivables", ["ReceivableIssued", "ReceivableSplit"]):
        if (e.name == "ReceivableIssued" and e.args["id"] == rid) or (
            e.name == "ReceivableSplit" and rid in e.args["children"]
        ):
            return e
    return None


def verify_receivable(audit: AuditChain, rid: int) -> Report:
    report = Report("receivable", "0x" + rid.to_bytes(32, "big").hex())
    view = on_chain(lambda: audit.chain.receivables().receivable(rid))
    if not report.check(
        "exists", view is not None and view.status != ReceivableStatus.NONE, "the receivable is on chain"
    ):
        return report
    assert view is not None
    events = receivable_events(audit, rid)
    report.add_history(audit, events)
    holder = holder_of(audit, rid)
    report.facts.update(
        {
            "creditor": _org(audit, view.creditor),
            "debtor": _org(audit, view.debtor),
            "holder": _org(audit, holder) if holder is not None else "— (no token: split into parts)",
            "face_value": f"{view.face_value} {view.currency} (minor units)",
            "status": view.status.name.lower(),
            "match": view.match_status.name.lower() + (" (waived)" if view.waived else ""),
            "repaid": view.repaid,
            "due": view.due_date,
            "parent": "0x" + view.parent.to_bytes(32, "big").hex() if view.parent else "—",
            "invoice": to_hex32(view.invoice),
            "match_result": to_hex32(view.match_result),
        }
    )
    by_name: dict[str, list[Any]] = {}
    for e in events:
        by_name.setdefault(e.name, []).append(e)
    issued = by_name.get("ReceivableIssued", [])
    if view.parent == 0:
        report.check(
            "issuance",
            len(issued) == 1
            and issued[0].args["faceValue"] == view.face_value
            and issued[0].args["creditor"] == to_hex32(view.creditor)
            and issued[0].args["debtor"] == to_hex32(view.debtor),
            "one ReceivableIssued event with the face value and parties the contract holds",
        )
        invoice = audit.document(view.invoice)
        report.check(
            "invoice anchored",
            invoice is not None
            and invoice.doc_type == DocumentType.INVOICE
            and invoice.issuer == view.creditor,
            f"invoice document {to_hex32(view.invoice)} is anchored by the creditor",
        )
    else:
        parent_split = [
            e for e in audit.events("Receivables", ["ReceivableSplit"]) if rid in e.args["children"]
        ]
        report.check(
            "lineage",
            len(parent_split) == 1
            and parent_split[0].args["id"] == view.parent
            and parent_split[0].args["amounts"][parent_split[0].args["children"].index(rid)]
            == view.face_value,
            "a part of its parent's split, with the face value the split gave it",
        )
    attested = by_name.get("MatchAttested", [])
    if attested:
        last = attested[-1]
        report.check(
            "match attestation",
            MatchStatus(last.args["status"]) == view.match_status
            and last.args["matchResult"] == to_hex32(view.match_result),
            f"the last MatchAttested event ({MatchStatus(last.args['status']).name.lower()}) is the "
            "receivable's match",
        )
        result_doc = audit.document(view.match_result)
        report.check(
            "match result anchored",
            result_doc is not None
            and result_doc.doc_type == DocumentType.MATCH_RESULT
            and audit.organisation_role(result_doc.issuer) == "operator",
            "the match result is an anchored MatchResult document of the platform operator",
        )
    for split in by_name.get("ReceivableSplit", []):
        report.check(
            "split conserves value",
            sum(split.args["amounts"]) == view.face_value,
            f"{len(split.args['children'])} parts summing to {sum(split.args['amounts'])} of "
            f"{view.face_value}",
        )
    repaid = sum(e.args["amount"] for e in by_name.get("RepaymentRecorded", []))
    report.check("repayments", repaid == view.repaid, f"repayment events add up to {repaid}, as recorded")
    transfers = by_name.get("Transfer", [])
    if transfers:
        last = to_checksum_address(transfers[-1].args["to"])
        owner = audit.chain.receivables().owner_of(rid) if holder is not None else ZERO_ADDRESS
        report.check(
            "holder",
            last == owner,
            "the last transfer event names the current holder"
            if holder is not None
            else "the token was burned when it was split, as its last transfer event shows",
        )
    _financings(audit, report, rid, by_name)
    return report


def _financings(audit: AuditChain, report: Report, rid: int, by_name: dict[str, list[Any]]) -> None:
    for requested in by_name.get("FinancingRequested", []):
        fid = bytes.fromhex(requested.args["id"][2:])
        view = audit.chain.financing().financing(fid)
        funded = [e for e in by_name.get("FinancingFunded", []) if e.args["id"] == requested.args["id"]]
        report.facts[f"financing {requested.args['id'][:12]}…"] = (
            f"{view.status.name.lower()}, advance {view.advance}"
        )
        report.check(
            "financing",
            view.receivable == rid and (not funded or funded[0].args["advance"] == view.advance),
            f"financing {requested.args['id'][:12]}… is for this receivable; its funding event "
            "carries the advance the contract holds",
        )


# --- letters of credit ----------------------------------------------------------------------------

CREDIT_EVENTS = (
    "CreditApplied",
    "CreditIssued",
    "CreditAdvised",
    "AmendmentProposed",
    "AmendmentAccepted",
    "AmendmentRejected",
    "DocumentsPresented",
    "CreditExpired",
    "CreditCancelled",
)
PRESENTATION_EVENTS = (
    "PresentationExamined",
    "PresentationRefused",
    "DiscrepanciesWaived",
    "PresentationHonoured",
    "DeferredPaymentAccepted",
)


def credit_events(audit: AuditChain, credit: bytes) -> list[Any]:
    hexid = to_hex32(credit)
    lc = audit.events("LettersOfCredit")
    presentations = {
        e.args["presentation"] for e in lc if e.name == "DocumentsPresented" and e.args["id"] == hexid
    }
    return [
        e
        for e in lc
        if (e.name in CREDIT_EVENTS and e.args.get("id") == hexid)
        or (e.name in PRESENTATION_EVENTS and e.args.get("presentation") in presentations)
    ]


def verify_credit(audit: AuditChain, credit: bytes) -> Report:
    report = Report("letter of credit", to_hex32(credit))
    lcs = audit.chain.letters_of_credit()
    view = on_chain(lambda: lcs.credit(credit))
    if not report.check(
        "exists", view is not None and view.status != CreditStatus.NONE, "the credit is on chain"
    ):
        return report
    assert view is not None
    events = credit_events(audit, credit)
    report.add_history(audit, events)
    report.facts.update(
        {
            "applicant": _org(audit, view.applicant),
            "issuing_bank": _org(audit, view.issuing_bank),
            "advising_bank": _org(audit, view.advising_bank),
            "beneficiary": _org(audit, view.beneficiary),
            "amount": f"{view.terms.amount} {view.currency} (minor units)",
            "status": view.status.name.lower(),
            "drawn": view.drawn,
            "terms_hash": to_hex32(view.terms.terms_hash),
        }
    )
    applied = [e for e in events if e.name == "CreditApplied"]
    report.check(
        "application",
        len(applied) == 1
        and applied[0].args["applicant"] == to_hex32(view.applicant)
        and applied[0].args["issuingBank"] == to_hex32(view.issuing_bank),
        "one CreditApplied event naming the applicant and issuing bank the contract holds",
    )
    accepted = {e.args["number"] for e in events if e.name == "AmendmentAccepted"}
    proposed = [e for e in events if e.name == "AmendmentProposed" and e.args["number"] in accepted]
    if proposed:
        report.check(
            "amended terms",
            proposed[-1].args["termsHash"] == to_hex32(view.terms.terms_hash),
            "the operative terms are those of the last amendment the beneficiary accepted",
        )
    honoured = 0
    for presented in [e for e in events if e.name == "DocumentsPresented"]:
        pid = bytes.fromhex(presented.args["presentation"][2:])
        p = lcs.presentation(pid)
        examined = [
            e
            for e in events
            if e.name == "PresentationExamined" and e.args["presentation"] == presented.args["presentation"]
        ]
        report.check(
            "presentation",
            p.documents == bytes.fromhex(presented.args["documents"][2:])
            and (not examined or examined[-1].args["report"] == to_hex32(p.examination)),
            f"presentation {presented.args['presentation'][:12]}… ({p.status.name.lower()}): the documents' "
            "hash and the examination report's hash match their events",
        )
        report.facts[f"presentation {presented.args['presentation'][:12]}…"] = (
            f"{p.status.name.lower()}, {p.amount} {view.currency}"
            + (f", examination report {to_hex32(p.examination)}" if any(p.examination) else ", not examined")
        )
        if p.status in (PresentationStatus.HONOURED, PresentationStatus.ACCEPTED):
            honoured += p.amount
    report.check(
        "drawn",
        honoured == view.drawn,
        f"honoured and accepted presentations add up to {honoured}, the credit's drawn amount",
    )
    return report


# --- readings -------------------------------------------------------------------------------------


def reading_from_leaf(leaf: Sequence[Any]) -> Reading:
    device, sequence, timestamp, metric, value, unit, binding = leaf
    return Reading(
        bytes.fromhex(str(device)[2:]),
        int(sequence),
        int(timestamp),
        str(metric),
        int(value),
        str(unit),
        bytes.fromhex(str(binding)[2:]),
    )


def verify_reading(
    audit: AuditChain,
    leaf: Sequence[Any],
    proof: Sequence[str],
    root: str,
    *,
    signature: str | None = None,
) -> Report:
    """A reading (its Merkle leaf) in an anchored batch, checked with our proof code and with
    ``CarbonLedger.verifyReading`` on chain; with its signature, the device's key at that time."""
    reading = reading_from_leaf(leaf)
    report = Report("reading", f"device {to_hex32(reading.device_id)} #{reading.sequence}")
    report.facts.update(
        {
            "metric": reading.metric,
            "value_milli": reading.value_milli,
            "unit": reading.unit,
            "timestamp": reading.timestamp,
            "root": root,
        }
    )
    values = (
        reading.device_id,
        reading.sequence,
        reading.timestamp,
        reading.metric,
        reading.value_milli,
        reading.unit,
        reading.binding,
    )
    path = [bytes.fromhex(p[2:]) for p in proof]
    root_bytes = bytes.fromhex(root[2:])
    report.check(
        "merkle proof",
        merkle.verify(root_bytes, READING_LEAF_TYPES, values, path),
        "the leaf and proof give the root (OpenZeppelin StandardMerkleTree)",
    )
    anchored = [e for e in audit.events("CarbonLedger", ["ReadingBatchAnchored"]) if e.args["root"] == root]
    if report.check("batch anchored", bool(anchored), f"batch {root[:12]}… is anchored on chain"):
        batch = anchored[0]
        report.add_history(audit, anchored)
        report.facts["oracle"] = _org(audit, bytes.fromhex(batch.args["oracle"][2:]))
        report.check(
            "batch period",
            batch.args["periodStart"] <= reading.timestamp <= batch.args["periodEnd"],
            f"the reading's time lies in the batch period {batch.args['periodStart']}–"
            f"{batch.args['periodEnd']}",
        )
        on_chain = audit.chain.carbon().verify_reading(root_bytes, path, values)
        report.check("verifyReading on chain", on_chain, "CarbonLedger.verifyReading(root, proof, leaf)")
    if signature is not None:
        registry = audit.manifest.address("DeviceRegistry")
        try:
            signer = ReadingVerifier(Domain(audit.manifest.chain_id, registry)).recover(
                reading, bytes.fromhex(signature.removeprefix("0x"))
            )
        except (PayloadError, ValueError) as exc:
            report.check("device signature", False, f"the signature does not recover a key: {exc}")
            return report
        report.facts["signer"] = signer
        report.check(
            "device signature",
            audit.chain.devices().is_valid_signer(reading.device_id, signer, reading.timestamp),
            f"EIP-712 signature by {signer}, the device's key at the reading's time (DeviceRegistry)",
        )
    return report
