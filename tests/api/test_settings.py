"""Settings refuse insecure defaults outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings, secret_key


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TRADELEDGER_KEYSTORE_PASSWORD",
        "TRADELEDGER_API_KEY_PEPPER",
        "TRADELEDGER_DATABASE_URL",
        "DATABASE_URL",
        "TRADELEDGER_DOCUMENT_MASTER_KEY",
        "TRADELEDGER_CUSTOMS_SALT_KEY",
        "TRADELEDGER_RATE_LIMIT_PER_MINUTE",
    ):
        monkeypatch.delenv(name, raising=False)


SECURE = {
    "keystore_password": "a-real-secret",
    "api_key_pepper": "another-real-secret",
    "database_url": "postgresql://app@db:5432/tradeledger",
    "document_master_key": "11" * 32,
    "customs_salt_key": "22" * 32,
}


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ("keystore_password", "TRADELEDGER_KEYSTORE_PASSWORD"),
        ("api_key_pepper", "TRADELEDGER_API_KEY_PEPPER"),
        ("database_url", "DATABASE_URL"),
        ("document_master_key", "TRADELEDGER_DOCUMENT_MASTER_KEY"),
        ("customs_salt_key", "TRADELEDGER_CUSTOMS_SALT_KEY"),
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


def test_production_refuses_to_run_without_a_rate_limit() -> None:
    with pytest.raises(ValidationError, match="TRADELEDGER_RATE_LIMIT_PER_MINUTE is 0"):
        Settings(environment="production", rate_limit_per_minute=0, **SECURE)  # type: ignore[arg-type]


def test_database_url_comes_from_database_url_or_the_prefixed_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@h/db1")
    assert Settings().database_url == "postgresql://a@h/db1"
    monkeypatch.setenv("TRADELEDGER_DATABASE_URL", "postgresql://a@h/db2")
    assert Settings().database_url == "postgresql://a@h/db2"


def test_development_defaults_to_sqlite_under_var() -> None:
    assert Settings(environment="development").database_url.endswith("/tradeledger.db")


def test_a_secret_key_must_be_32_bytes_of_hex() -> None:
    settings = Settings(document_master_key="abcd")  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="TRADELEDGER_DOCUMENT_MASTER_KEY must be 32 bytes"):
        secret_key(settings, "document_master_key")


def test_an_unset_development_key_is_generated_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path))

    first = secret_key(Settings(), "customs_salt_key")

    assert len(first) == 32
    assert secret_key(Settings(), "customs_salt_key") == first
    assert (tmp_path / "keys" / "customs-salt-key.hex").stat().st_mode & 0o777 == 0o600
