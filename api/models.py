"""Every table of the API, imported in one place for Alembic and tests."""

from api.audit.models import AuditAccess, RegulatorMandate
from api.auth.models import ApiKey
from api.carbon.models import DeviceRow, IngestCounter, ReadingBatchRow, ReadingRow, StatementRow
from api.credit.models import AmendmentRow, CreditRow, PresentationRow
from api.customs.models import (
    CustomsAttestationRow,
    CustomsDeclarationRow,
    CustomsFeedCursor,
    CustomsFeedProblem,
)
from api.documents.models import StoredDocument
from api.financing.models import FinancingRow, OfferRow
from api.idempotency import IdempotencyRecord
from api.orders.models import CarrierBooking, OrderRow
from api.participants.models import AuditorGrant, Organisation, OrganisationAccount, OrganisationLegalId
from api.receivables.models import MatchingTolerance, ReceivableRow
from api.timeline.models import EventMention
from chain.index_models import ChainBlock, ChainEventRow, IndexerCheckpoint
from chain.outbox import OutboxRow

__all__ = [
    "AuditAccess",
    "AuditorGrant",
    "CarrierBooking",
    "RegulatorMandate",
    "CustomsAttestationRow",
    "CustomsDeclarationRow",
    "CustomsFeedCursor",
    "CustomsFeedProblem",
    "AmendmentRow",
    "CreditRow",
    "PresentationRow",
    "ApiKey",
    "ChainBlock",
    "ChainEventRow",
    "IdempotencyRecord",
    "DeviceRow",
    "EventMention",
    "FinancingRow",
    "IndexerCheckpoint",
    "IngestCounter",
    "MatchingTolerance",
    "OfferRow",
    "OrderRow",
    "OutboxRow",
    "ReadingBatchRow",
    "ReadingRow",
    "ReceivableRow",
    "StatementRow",
    "StoredDocument",
    "Organisation",
    "OrganisationAccount",
    "OrganisationLegalId",
]
