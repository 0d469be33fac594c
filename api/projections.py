"""Every projection the indexer maintains, in the order it applies them to each event."""

from __future__ import annotations

from api.carbon.projection import DevicesProjection, StatementsProjection
from api.financing.projection import CollateralProjection, FinancingProjection
from api.orders.projection import OrdersProjection
from api.participants.projection import ParticipantsProjection
from api.receivables.projection import ReceivablesProjection
from api.timeline.projection import MentionsProjection
from chain.indexer import Projection


def all_projections() -> list[Projection]:
    return [
        ParticipantsProjection(),
        OrdersProjection(),
        ReceivablesProjection(),
        FinancingProjection(),
        DevicesProjection(),
        StatementsProjection(),
        CollateralProjection(),
        MentionsProjection(),
    ]
