"""Settings of the API process (pydantic-settings, prefix ``TRADELEDGER_``).

Development and test run on defaults; ``TRADELEDGER_ENVIRONMENT=production``
refuses the development secrets and SQLite, naming the variable to set.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.config import var_dir

DEV_KEYSTORE_PASSWORD = "tradeledger-dev"
DEV_API_KEY_PEPPER = "tradeledger-dev-pepper"


def _default_database_url() -> str:
    return f"sqlite:///{var_dir() / 'tradeledger.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADELEDGER_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default_factory=_default_database_url,
        validation_alias=AliasChoices("TRADELEDGER_DATABASE_URL", "DATABASE_URL"),
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    keystore_password: SecretStr = SecretStr(DEV_KEYSTORE_PASSWORD)
    api_key_pepper: SecretStr = SecretStr(DEV_API_KEY_PEPPER)
    # 32 bytes as hex. Unset: a random key kept in <var>/keys (development only).
    document_master_key: SecretStr | None = None  # wraps each document's AES-256-GCM key at rest
    customs_salt_key: SecretStr | None = None  # shared by the customs operators: salts their commitments
    # operational limits (api/limits.py): a larger body is refused with 413, a faster caller with 429
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(default=6000, ge=0)  # per API key (or client address); 0: no limit
    rate_limit_burst: int = Field(default=1000, ge=1)
    # reads (GET) inside the API at once (api/limits.InFlight): as many as the cores, more only contend
    read_concurrency: int = Field(default_factory=lambda: max(2, os.cpu_count() or 2), ge=1, le=20)
    ipfs_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TRADELEDGER_IPFS_API_URL", "IPFS_API_URL")
    )

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.keystore_password.get_secret_value() == DEV_KEYSTORE_PASSWORD:
            problems.append("TRADELEDGER_KEYSTORE_PASSWORD is the development default; set a real secret")
        if self.api_key_pepper.get_secret_value() == DEV_API_KEY_PEPPER:
            problems.append("TRADELEDGER_API_KEY_PEPPER is the development default; set a real secret")
        for name in ("document_master_key", "customs_salt_key"):
            if getattr(self, name) is None:
                problems.append(f"TRADELEDGER_{name.upper()} is unset; set 32 random bytes as hex")
        if self.rate_limit_per_minute == 0:
            problems.append("TRADELEDGER_RATE_LIMIT_PER_MINUTE is 0 (no rate limit); set a limit per key")
        if self.database_url.startswith("sqlite"):
            problems.append(
                "DATABASE_URL (or TRADELEDGER_DATABASE_URL) points at SQLite; set it to a PostgreSQL URL"
            )
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    """The process's settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()


def secret_key(settings: Settings, name: Literal["document_master_key", "customs_salt_key"]) -> bytes:
    """A 32-byte key from the settings, or (outside production) one generated once into ``<var>/keys``."""
    value: SecretStr | None = getattr(settings, name)
    if value is not None:
        try:
            key = bytes.fromhex(value.get_secret_value().removeprefix("0x"))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ValueError(f"TRADELEDGER_{name.upper()} must be 32 bytes as hex (64 hex digits)")
        return key
    path = var_dir() / "keys" / f"{name.replace('_', '-')}.hex"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # first writer wins, so concurrent processes agree on one key
        tmp.unlink()
    return bytes.fromhex(path.read_text().strip())
