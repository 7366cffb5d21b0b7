"""Expected failures that services raise and the API reports as `UserError`s.

Services raise `ServiceError`; the transaction rolls back and the GraphQL payload carries
the code, message and the input field it concerns. Anything else is unexpected and masked.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ErrorCode(enum.StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    RATE_LIMITED = "rate_limited"
    INVALID_REFRESH_TOKEN = "invalid_refresh_token"  # noqa: S105 - an error code, not a secret
    LAST_OWNER = "last_owner"
    INVALID_INVITATION = "invalid_invitation"
    CRITERIA_UNMET = "criteria_unmet"  # a step's exit criteria are not all met yet
    UPLOAD_REJECTED = "upload_rejected"  # the stored file is not what was declared; recorded
    LOCKED = "locked"  # a signed (or cancelled) audit is kept as it was
    NOT_INDEPENDENT = "not_independent"  # an auditor would audit work they own


class ServiceError(Exception):
    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field)

    def each(self) -> list[ServiceError]:
        """Every failure this error reports: itself, or each one of a `CombinedServiceError`."""
        return [self]


class CombinedServiceError(ServiceError):
    """Several failures found together, such as every bad item of a bulk change.

    Validating a whole batch before refusing it lets the client fix every item at once.
    """

    def __init__(self, errors: Sequence[ServiceError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = list(errors)

    def each(self) -> list[ServiceError]:
        return list(self.errors)


def not_found(what: str, field: Sequence[str] = ()) -> ServiceError:
    """The one answer for both missing and not-yours, so existence never leaks across tenants."""
    return ServiceError(ErrorCode.NOT_FOUND, f"{what} not found.", field)


def forbidden(message: str = "You are not allowed to do this here.") -> ServiceError:
    return ServiceError(ErrorCode.FORBIDDEN, message)


def invalid(message: str, field: Sequence[str]) -> ServiceError:
    return ServiceError(ErrorCode.INVALID, message, field)


def conflict(message: str, field: Sequence[str]) -> ServiceError:
    return ServiceError(ErrorCode.CONFLICT, message, field)
