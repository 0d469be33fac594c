"""The one exception tree of tradeledger.

Every layer raises these; the API maps them to RFC 9457 problem+json in one
handler, the CLI prints them. Each carries a stable machine-readable ``code``
(snake_case) and a message that says what to do next.
"""

from __future__ import annotations

from typing import Any


class TradeLedgerError(Exception):
    """Base of every error tradeledger raises on purpose."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(TradeLedgerError):
    status, code, title = 422, "invalid_input", "Invalid input"


class InvalidDocument(InvalidInput):
    code, title = "invalid_document", "Invalid document"


class Unauthorized(TradeLedgerError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(TradeLedgerError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(TradeLedgerError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(TradeLedgerError):
    status, code, title = 409, "conflict", "Conflict"


class ConfigurationError(TradeLedgerError):
    status, code, title = 500, "configuration_error", "Configuration error"


class ChainError(TradeLedgerError):
    """The chain could not be reached or did something unexpected."""

    status, code, title = 502, "chain_error", "Blockchain error"


class ChainRevert(TradeLedgerError):
    """A contract reverted with a custom error; see ``chain.reverts`` for the mapping.

    ``error`` is the Solidity error name, ``args`` its decoded arguments.
    """

    status, code, title = 409, "chain_revert", "Rejected by the contract"

    def __init__(self, detail: str, *, error: str, args: dict[str, Any], code: str, status: int) -> None:
        super().__init__(detail, code=code, error=error, args=args)
        self.error = error
        self.args_ = args
        self.status = status


class Unavailable(TradeLedgerError):
    """A part the request needs (the chain, the database) is not reachable right now."""

    status, code, title = 503, "unavailable", "Service unavailable"
