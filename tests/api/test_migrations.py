"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
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
