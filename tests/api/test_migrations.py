"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

import api.models  # noqa: F401 - every table on the metadata
from api.db import alembic_config, migrate


def test_migrated_schema_matches_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    assert diff == []


def test_migrating_twice_changes_nothing(db_engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(db_engine)).get_current_head()

    migrate(db_engine)

    with db_engine.connect() as connection:
        assert head is not None
        assert MigrationContext.configure(connection).get_current_revision() == head
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_migration_0012_books_the_carriers_that_shipped_before_bookings_existed(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0011")
    buyer, supplier, carrier, other = ("0x" + c * 64 for c in "abcd")
    document = (
        "INSERT INTO documents (doc_id, issuer, doc_type, number, po_number, buyer, canonical, salt, "
        "commitment, anchored_block, anchored_tx, created_at) VALUES "
        "(:id, :issuer, :type, :number, :po, :buyer, '{}', '0x', '0x', 1, '0x', '2026-04-01 00:00:00')"
    )
    with engine.begin() as db:
        for doc_id, issuer, doc_type, number, po in [
            ("0x01", buyer, "purchase_order", "PO-1", "PO-1"),
            ("0x02", carrier, "shipment", "BL-1", "PO-1"),
            ("0x03", carrier, "shipment", "BL-2", "PO-1"),  # a second shipment: still one booking
            ("0x04", buyer, "purchase_order", "PO-2", "PO-2"),
            ("0x05", other, "goods_receipt", "GR-2", "PO-2"),  # not a shipment: no booking
        ]:
            db.execute(
                text(document),
                {
                    "id": doc_id,
                    "issuer": issuer,
                    "type": doc_type,
                    "number": number,
                    "po": po,
                    "buyer": buyer,
                },
            )
        for order_id, doc_id in (("0xo1", "0x01"), ("0xo2", "0x04")):
            db.execute(
                text(
                    "INSERT INTO orders (order_id, buyer, supplier, currency, total, invoiced, status, "
                    "document_id, receipts, shipments, registered_block, registered_tx) VALUES "
                    "(:order_id, :buyer, :supplier, 'USD', 1, 0, 'open', :doc_id, 0, 0, 1, '0x')"
                ),
                {"order_id": order_id, "buyer": buyer, "supplier": supplier, "doc_id": doc_id},
            )

    migrate(engine)

    with engine.connect() as db:
        booked = db.execute(text("SELECT order_id, carrier, booked_by FROM carrier_bookings")).all()
    assert [tuple(row) for row in booked] == [("0xo1", carrier, supplier)]
