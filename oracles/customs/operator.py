"""One customs oracle operator: reads its feed, signs EIP-712 attestations, sends them, checkpoints.

Every operator is an organisation of its own (role customs oracle) with its own key and its own
feed; ``CustomsAttestations`` finalises a status when k of them agree. An operator:

1. reads the events after its saved cursor (``FeedUnavailable``: waits with jittered backoff and
   tries again, the cursor unchanged, so an outage loses and repeats nothing);
2. parses each declaration (a malformed one is recorded as a feed problem and skipped), computes
   its salted commitment — the salt is an HMAC of the content under the operators' shared salt key,
   so independent operators agree on the commitment without publishing anything guessable — and
   keeps the content (the off-chain half) in ``customs_declarations``;
3. writes an outbox row before signing and sending, and marks it attested after the receipt (or
   when the chain says this organisation attested already), so a crash or a replayed page never
   sends an attestation twice;
4. saves the cursor and releases the page (inbox files move to ``done/``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.customs.models import (
    CustomsAttestationRow,
    CustomsDeclarationRow,
    CustomsFeedCursor,
    CustomsFeedProblem,
)
from api.documents.storage import put_sealed
from api.trade.documents import CustomsDeclaration, canonical_bytes, parse_declaration
from chain.client import Chain
from chain.customs_contracts import (
    CustomsAttestation,
    DeclarationStatus,
    declaration_id,
    sign_attestation,
)
from chain.errors import ChainRevert, InvalidDocument
from chain.ids import commitment, from_hex32, to_hex32
from oracles.customs.feeds import CustomsFeed, FeedEvent, FeedPage, FeedUnavailable

log = logging.getLogger(__name__)

ATTESTATION_LIFETIME = 3600  # seconds an attestation's signature stays valid (its deadline)


def declaration_salt(salt_key: bytes, canonical: bytes) -> bytes:
    """The salt every operator derives for the same content: HMAC-SHA256(shared key, canonical bytes)."""
    return hmac.new(salt_key, canonical, hashlib.sha256).digest()


@dataclass(frozen=True)
class OperatorConfig:
    org: str  # the operator organisation's id (0x…)
    key: str  # the keystore name of its signing key
    salt_key: bytes  # the operators' shared salt key (32 bytes)
    poll_interval: float = 2.0
    max_backoff: float = 30.0


@dataclass
class OperatorStats:
    attested: int = 0
    skipped: int = 0  # attested before (by this operator, found in its outbox or on chain)
    problems: int = 0
    refused: int = 0  # attestations the contract refused (their outbox rows say why)
    outages: int = 0
    failures: int = 0  # anything else that failed a poll (node, database); retried the same way


class CustomsOperator:
    def __init__(self, config: OperatorConfig, feed: CustomsFeed, engine: Engine, chain: Chain) -> None:
        self.config = config
        self.feed = feed
        self.engine = engine
        self.chain = chain
        self.contract = chain.customs(config.key)
        self.address = chain.keystore.address(config.key)
        self.stats = OperatorStats()

    # --- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; an unavailable feed or node is retried with jittered backoff."""
        backoff = self.config.poll_interval
        while not stop.is_set():
            try:
                busy = self.poll_once()
                backoff = self.config.poll_interval
                if busy:
                    continue
                stop.wait(self.config.poll_interval)
            except Exception as exc:  # keep the cursor, wait, retry: an operator never dies
                if isinstance(exc, (FeedUnavailable, ConnectionError, OSError)):
                    self.stats.outages += 1
                    log.warning(
                        "customs operator %s: %s; retrying in %.1fs", self.config.org[:10], exc, backoff
                    )
                else:  # the node or the database failed
                    self.stats.failures += 1
                    log.exception(
                        "customs operator %s failed; retrying in %.1fs", self.config.org[:10], backoff
                    )
                stop.wait(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, self.config.max_backoff)

    def poll_once(self) -> bool:
        """Read and attest one page; True when it held events (more may be waiting)."""
        cursor = self._cursor()
        page = self.feed.fetch(cursor)
        for problem in page.problems:
            self._problem(problem.source, problem.reason)
        for event in page.events:
            self._handle(event)
        self._save_cursor(page)
        self.feed.done(page)
        return bool(page.events or page.problems)

    # --- one event ---------------------------------------------------------------------------

    def _handle(self, event: FeedEvent) -> None:
        try:
            declaration = parse_declaration(event.declaration)
        except InvalidDocument as exc:
            self._problem(event.source, f"{exc.code}: {exc}")
            return
        canonical = canonical_bytes(declaration)
        salt = declaration_salt(self.config.salt_key, canonical)
        digest = commitment(canonical, salt)
        did = declaration_id(declaration.customs_office, declaration.declaration_number)
        status_at = int(datetime.fromisoformat(event.at).timestamp())
        self._keep(did, digest, salt, canonical, declaration)
        with Session(self.engine) as session:
            key = (self.config.org, to_hex32(did), event.status)
            row = session.get(CustomsAttestationRow, key)
            if row is not None and row.state != "pending":
                self.stats.skipped += 1
                return
            if row is None:
                row = CustomsAttestationRow(
                    operator=self.config.org,
                    declaration_id=to_hex32(did),
                    status=event.status,
                    commitment=to_hex32(digest),
                    status_at=status_at,
                    state="pending",
                    updated_at=datetime.now(UTC),
                )
                session.add(row)
                session.commit()  # the intent is durable before anything is sent
            self._send(session, row)

    def _send(self, session: Session, row: CustomsAttestationRow) -> None:
        """Sign and send the attestation the outbox row records, and record the outcome on the row."""
        did, status = from_hex32(row.declaration_id), DeclarationStatus[row.status.upper()]
        if self.contract.has_attested(did, status, from_hex32(self.config.org)):
            self._mark(session, row, "attested")  # sent before a crash
            self.stats.skipped += 1
            return
        attestation = CustomsAttestation(
            operator=self.address,
            declaration_id=did,
            status=status,
            content_commitment=from_hex32(row.commitment),
            status_at=row.status_at,
            deadline=int(time.time()) + ATTESTATION_LIFETIME,
        )
        signature = sign_attestation(
            self.chain.keystore.load(self.config.key).key,
            self.chain.chain_id,
            self.contract.address,
            attestation,
        )
        try:
            receipt = self.contract.attest(attestation, signature)
        except ChainRevert as exc:
            if exc.error == "CustomsAlreadyAttested":  # another instance of this operator was quicker
                self._mark(session, row, "attested")
                self.stats.skipped += 1
                return
            self._mark(session, row, "refused", error=f"{exc.error}: {exc}"[:256])
            self.stats.refused += 1
            log.warning("customs attestation refused: %s", row.error)
            return
        self._mark(session, row, "attested", tx_hash=receipt.tx_hash, block_number=receipt.block_number)
        self.stats.attested += 1

    @staticmethod
    def _mark(session: Session, row: CustomsAttestationRow, state: str, **fields: object) -> None:
        for name, value in {"state": state, **fields}.items():
            setattr(row, name, value)
        row.updated_at = datetime.now(UTC)
        session.add(row)
        session.commit()

    # --- bookkeeping -------------------------------------------------------------------------

    def _keep(
        self, did: bytes, digest: bytes, salt: bytes, canonical: bytes, declaration: CustomsDeclaration
    ) -> None:
        with Session(self.engine) as session:
            if session.get(CustomsDeclarationRow, (to_hex32(did), to_hex32(digest))) is not None:
                return
            cid, wrapped_key = put_sealed(canonical, digest)
            session.add(
                CustomsDeclarationRow(
                    declaration_id=to_hex32(did),
                    commitment=to_hex32(digest),
                    number=declaration.declaration_number,
                    office=declaration.customs_office,
                    po_number=declaration.po_number,
                    transport_document=declaration.transport_document,
                    exporter=declaration.exporter,
                    importer=declaration.importer,
                    canonical=canonical.decode(),
                    salt=to_hex32(salt),
                    cid=cid,
                    wrapped_key=wrapped_key,
                    first_seen_by=self.config.org,
                    created_at=datetime.now(UTC),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # another operator stored the same content meanwhile
                session.rollback()

    def _cursor(self) -> str | None:
        with Session(self.engine) as session:
            row = session.get(CustomsFeedCursor, (self.config.org, self.feed.name))
            return row.cursor if row else None

    def _save_cursor(self, page: FeedPage) -> None:
        with Session(self.engine) as session:
            row = session.get(CustomsFeedCursor, (self.config.org, self.feed.name)) or CustomsFeedCursor(
                operator=self.config.org, feed=self.feed.name, updated_at=datetime.now(UTC)
            )
            row.cursor, row.updated_at = page.cursor, datetime.now(UTC)
            session.add(row)
            session.commit()

    def _problem(self, source: str, reason: str) -> None:
        self.stats.problems += 1
        log.warning("customs feed %s: %s: %s", self.feed.name, source, reason)
        with Session(self.engine) as session:
            session.add(
                CustomsFeedProblem(
                    operator=self.config.org,
                    feed=self.feed.name,
                    source=source[:255],
                    reason=reason,
                    seen_at=datetime.now(UTC),
                )
            )
            session.commit()
