"""Every table of the API, imported in one place for Alembic and tests."""

from api.auth.models import ApiKey
from api.idempotency import IdempotencyRecord
from api.participants.models import Organisation, OrganisationAccount, OrganisationLegalId
from chain.index_models import ChainBlock, ChainEventRow, IndexerCheckpoint

__all__ = [
    "ApiKey",
    "ChainBlock",
    "ChainEventRow",
    "IdempotencyRecord",
    "IndexerCheckpoint",
    "Organisation",
    "OrganisationAccount",
    "OrganisationLegalId",
]
