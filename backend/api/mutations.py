"""The shape every mutation shares: run a service call, turn expected failures into data."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from strawberry import relay

from backend.api.context import Info
from backend.api.errors import MAX_USER_ERRORS, UserError
from backend.core.errors import ServiceError, invalid

Result = TypeVar("Result")


async def attempt(
    info: Info, action: Callable[[], Awaitable[Result]]
) -> tuple[Result | None, list[UserError]]:
    """Run `action`; on a ServiceError roll back so nothing of it is kept, and report it (its
    first MAX_USER_ERRORS problems)."""
    try:
        return await action(), []
    except ServiceError as error:
        await info.context.db.rollback()
        return None, [UserError.from_service(each) for each in error.each()[:MAX_USER_ERRORS]]


def node_uuid(global_id: relay.GlobalID, type_name: str, field: str) -> uuid.UUID:
    """The database id inside a global ID, which must name a `type_name`."""
    if global_id.type_name != type_name:
        raise invalid(f"Expected the id of a {type_name}.", [field])
    try:
        return uuid.UUID(global_id.node_id)
    except ValueError:
        raise invalid(f"Not a valid {type_name} id.", [field]) from None
