"""Gas per business operation, from the receipts of every transaction a run sent to the deployed
contracts: each transaction is named by its contract (the manifest's address) and function (the
ABI selector). No benchmark attests customs declarations, so two of the three demo customs operators
attest one first."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eth_utils import function_abi_to_4byte_selector

from bench.core import Context
from bench.report import GasRow

OPERATIONS = {
    "PurchaseOrders.registerOrder": "register PO",
    "PurchaseOrders.recordShipment": "record shipment (bill of lading)",
    "PurchaseOrders.recordReceipt": "record goods receipt",
    "DocumentRegistry.anchor": "anchor a document",
    "DocumentRegistry.anchorBatch": "anchor a document batch (Merkle root)",
    "Receivables.issue": "issue receivable",
    "Receivables.attestMatch": "attest the three-document match",
    "Receivables.confirm": "confirm receivable",
    "Receivables.split": "split receivable",
    "Receivables.transferFrom": "transfer receivable",
    "Receivables.assign": "assign receivable",
    "SettlementToken.mint": "tokenized deposit",
    "SettlementToken.approve": "allowance for a DvP",
    "Financing.request": "finance: request",
    "Financing.offer": "finance: offer",
    "Financing.accept": "finance: accept (DvP)",
    "Financing.repay": "repay",
    "LettersOfCredit.applyForCredit": "LC: apply",
    "LettersOfCredit.issue": "LC: issue",
    "LettersOfCredit.advise": "LC: advise",
    "LettersOfCredit.present": "LC: present",
    "LettersOfCredit.recordExamination": "LC: record examination",
    "LettersOfCredit.honour": "LC: honour",
    "CarbonLedger.anchorReadings": "anchor reading batch",
    "CustomsAttestations.attest": "attest customs",
    "DeviceRegistry.registerDevice": "register device",
    "Participants.registerOrganisation": "register organisation",
}


def _functions(ctx: Context) -> dict[tuple[str, bytes], str]:
    """(lower-case address, selector) -> Contract.function for every deployed contract."""
    names: dict[tuple[str, bytes], str] = {}
    for name, record in ctx.stack.chain.require_manifest().contracts.items():
        abi: list[dict[str, Any]] = record.abi
        for entry in abi:
            if entry.get("type") == "function":
                selector = function_abi_to_4byte_selector(entry)  # type: ignore[arg-type]
                names[(record.address.lower(), selector)] = f"{name}.{entry['name']}"
    return names


def attest_customs(ctx: Context) -> None:
    """Two of the three demo customs operators attest one declaration (final at 2 of 3)."""
    from chain.client import org_key_name
    from chain.customs_contracts import CustomsAttestation, DeclarationStatus, sign_attestation
    from chain.ids import org_id
    from tradeledger.demo import CUSTOMS_HANDLES

    chain = ctx.stack.chain
    now = int(chain.w3.eth.get_block("latest")["timestamp"])
    declaration = chain.customs().declaration_id("CNSZX", f"BENCH-{now}")
    for handle in CUSTOMS_HANDLES[:2]:
        key = org_key_name(org_id(handle))
        account = chain.keystore.get_or_create(key)
        att = CustomsAttestation(
            account.address, declaration, DeclarationStatus.DECLARED, b"\x11" * 32, now, now + 3600
        )
        signature = sign_attestation(account.key, chain.chain_id, chain.customs().address, att)
        chain.customs(key).attest(att, signature)


def gas_table(ctx: Context) -> list[GasRow]:
    functions = _functions(ctx)
    attest_customs(ctx)
    used: dict[str, list[int]] = defaultdict(list)
    w3 = ctx.stack.chain.w3
    for number in range(1, w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        transactions: list[Any] = list(block["transactions"])
        for tx in transactions:
            name = functions.get(((tx.get("to") or "").lower(), bytes(tx["input"][:4])))
            if name is not None:
                used[name].append(int(w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"]))
    order = list(OPERATIONS)
    rows = [
        GasRow(OPERATIONS.get(name, ""), name, len(gas), sum(gas) // len(gas), min(gas), max(gas))
        for name, gas in used.items()
    ]
    return sorted(
        rows, key=lambda r: (order.index(r.function) if r.function in order else len(order), r.function)
    )
