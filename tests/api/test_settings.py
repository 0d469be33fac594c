"""Settings refuse insecure defaults outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TRADELEDGER_KEYSTORE_PASSWORD",
        "TRADELEDGER_API_KEY_PEPPER",
        "TRADELEDGER_DATABASE_URL",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


SECURE = {
    "keystore_password": "a-real-secret",
    "api_key_pepper": "another-real-secret",
    "database_url": "postgresql://app@db:5432/tradeledger",
}


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("keystore_password", "TRADELEDGER_KEYSTORE_PASSWORD"),
        ("api_key_pepper", "TRADELEDGER_API_KEY_PEPPER"),
        ("database_url", "DATABASE_URL"),
    ],
)
def test_production_refuses_each_development_default(missing: str, variable: str) -> None:
    values = {k: v for k, v in SECURE.items() if k != missing}

    with pytest.raises(ValidationError, match=variable):
        Settings(environment="production", **values)  # type: ignore[arg-type]


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(environment="production", **SECURE)  # type: ignore[arg-type]

    assert settings.api_key_pepper.get_secret_value() == "another-real-secret"
    assert "another-real-secret" not in repr(settings)


def test_database_url_comes_from_database_url_or_the_prefixed_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@h/db1")
    assert Settings().database_url == "postgresql://a@h/db1"
    monkeypatch.setenv("TRADELEDGER_DATABASE_URL", "postgresql://a@h/db2")
    assert Settings().database_url == "postgresql://a@h/db2"


def test_development_defaults_to_sqlite_under_var() -> None:
    assert Settings(environment="development").database_url.endswith("/tradeledger.db")
