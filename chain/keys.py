"""Encrypted keystores: one signing key per organisation (and per officer).

Each key is an eth-account keyfile (scrypt + AES-128-CTR) in ``<var>/keys``,
named after its owner (``deployer``, ``officer-1``, ``org-<id>``…). The same
code signs for anvil and for a Besu/FISCO network: we never rely on a node's
unlocked accounts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from chain.errors import ConfigurationError, Conflict, NotFound

# scrypt work factor: 2**18 is eth-account's (and geth's) strong default; development
# and tests may lower it through TRADELEDGER_KEYSTORE_SCRYPT_N to keep start-up quick.
STRONG_SCRYPT_N = 2**18
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")


class KeyStore:
    """A folder of encrypted keyfiles, all unlocked with one password."""

    def __init__(self, directory: Path, password: str, *, scrypt_n: int | None = None) -> None:
        if not password:
            raise ConfigurationError("the keystore password is empty; set TRADELEDGER_KEYSTORE_PASSWORD")
        self.directory = directory
        self._password = password
        self.scrypt_n = scrypt_n or int(os.environ.get("TRADELEDGER_KEYSTORE_SCRYPT_N", STRONG_SCRYPT_N))
        self._unlocked: dict[str, LocalAccount] = {}

    def sibling(self, directory: Path) -> KeyStore:
        """Another folder of keys under the same password and cost (e.g. device keys)."""
        return KeyStore(directory, self._password, scrypt_n=self.scrypt_n)

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ConfigurationError(f"invalid key name {name!r}: use lower-case letters, digits, . _ -")
        return self.directory / f"{name}.json"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json")) if self.directory.exists() else []

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def address(self, name: str) -> str:
        """The key's address, read from the keyfile without decrypting it."""
        path = self.path(name)
        if not path.exists():
            raise NotFound(
                f"no key named {name!r} in {self.directory}; create it with `tradeledger keys new`"
            )
        return str(to_checksum_address("0x" + json.loads(path.read_text())["address"]))

    def create(self, name: str) -> LocalAccount:
        path = self.path(name)
        if path.exists():
            raise Conflict(f"a key named {name!r} already exists in {self.directory}", code="key_exists")
        account: LocalAccount = Account.create()
        keyfile = Account.encrypt(account.key, self._password, kdf="scrypt", iterations=self.scrypt_n)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(keyfile))
        tmp.chmod(0o600)
        tmp.replace(path)
        self._unlocked[name] = account
        return account

    def load(self, name: str) -> LocalAccount:
        if name in self._unlocked:
            return self._unlocked[name]
        path = self.path(name)
        if not path.exists():
            raise NotFound(
                f"no key named {name!r} in {self.directory}; create it with `tradeledger keys new`"
            )
        try:
            key = Account.decrypt(json.loads(path.read_text()), self._password)
        except ValueError as exc:
            raise ConfigurationError(
                f"cannot unlock {path}: wrong TRADELEDGER_KEYSTORE_PASSWORD or a damaged keyfile"
            ) from exc
        account: LocalAccount = Account.from_key(key)
        self._unlocked[name] = account
        return account

    def get_or_create(self, name: str) -> LocalAccount:
        return self.load(name) if self.exists(name) else self.create(name)
