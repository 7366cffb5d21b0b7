"""How failures reach GraphQL clients.

Expected failures of a mutation are data (`UserError` in its payload). Malformed requests
(bad ids, bad cursors, limits exceeded) are GraphQL errors with a clear message. Everything
else is masked, so internals never leak.
"""

from __future__ import annotations

from typing import ClassVar

import strawberry
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError

from backend.core.errors import ErrorCode, ServiceError
from backend.core.metrics import ERRORS

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")
MAX_USER_ERRORS = 500  # one per item of the largest list input (a bulk assessment)


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    field: list[str] = strawberry.field(description="Path of the input field at fault, if any.")
    code: UserErrorCode  # type: ignore[valid-type]
    message: str
    # Every list of UserError is a payload's `errors`, which `mutation` keeps to this many; the
    # cost limit reads it (backend.api.cost.ITEM_BOUND).
    list_bound: ClassVar[int] = MAX_USER_ERRORS

    @classmethod
    def from_service(cls, error: ServiceError) -> UserError:
        ERRORS.labels(code=error.code.value).inc()
        return cls(field=error.field, code=error.code, message=error.message)


class ClientError(Exception):
    """A request a client can fix (bad id, cursor or argument); its message is shown as is."""


# A GraphQLError as the original error comes from coercing the client's input (a variable of
# the wrong type, say): graphql-core wrote its message for the client.
VISIBLE_ERRORS = (ClientError, GlobalIDValueError, ServiceError, GraphQLError)


def error_code(error: GraphQLError) -> str:
    """The metrics label of a GraphQL error: its service code, `request` for a malformed
    request the client can fix, `internal` for a masked fault."""
    original = error.original_error
    if isinstance(original, ServiceError):
        return original.code.value
    return "internal" if should_mask(error) else "request"


def should_mask(error: GraphQLError) -> bool:
    """Mask everything but validation errors and errors raised for the client on purpose."""
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, VISIBLE_ERRORS)
