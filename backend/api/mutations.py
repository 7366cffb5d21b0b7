"""The shape every mutation shares: a resolver states its input, its service call and its
payload; expected failures become data in that payload's `errors`.

A resolver decorated with `mutation` simply returns its payload. When it raises a
ServiceError, the transaction is rolled back (nothing of the attempt is kept) and the
answer is the same payload type holding only the errors: every payload therefore gives
each of its fields a default.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry
from strawberry import relay
from strawberry.utils.str_converters import to_camel_case

from backend.api.context import Info
from backend.api.errors import MAX_USER_ERRORS, UserError
from backend.core.activity import doing
from backend.core.errors import ServiceError, invalid

Params = ParamSpec("Params")
Payload = TypeVar("Payload")


def mutation(
    *, description: str | None = None
) -> Callable[[Callable[Params, Awaitable[Payload]]], Any]:
    """A strawberry mutation whose ServiceErrors answer as `errors` of its payload type."""

    def decorate(resolver: Callable[Params, Awaitable[Payload]]) -> Any:
        action = to_camel_case(resolver.__name__)

        @functools.wraps(resolver)
        async def answer(*args: Params.args, **kwargs: Params.kwargs) -> Payload:
            try:
                with doing(action):  # the activity log names the mutation
                    return await resolver(*args, **kwargs)
            except ServiceError as error:
                info: Info = kwargs["info"]  # type: ignore[assignment]
                await info.context.db.rollback()
                errors = [UserError.from_service(each) for each in error.each()]
                # The payload type as strawberry resolved it from the return annotation.
                payload: Callable[..., Payload] = field.type  # type: ignore[assignment]
                return payload(errors=errors[:MAX_USER_ERRORS])

        field = strawberry.mutation(answer, description=description)
        return field

    return decorate


def _article(noun: str) -> str:
    return "an" if noun[:1] in "AEIOU" else "a"


def node_uuid(global_id: relay.GlobalID, type_name: str, field: str) -> uuid.UUID:
    """The database id inside a global ID, which must name a `type_name`."""
    if global_id.type_name != type_name:
        raise invalid(f"Expected the id of {_article(type_name)} {type_name}.", [field])
    try:
        return uuid.UUID(global_id.node_id)
    except ValueError:
        raise invalid(f"Not a valid {type_name} id.", [field]) from None
