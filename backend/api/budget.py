"""The last line behind the cost limit: a time budget for running an operation and a cap on
the size of its answer.

The cost limit judges an operation before it runs, from declared maxima; these two judge what
actually happened. Either refuses with a GraphQL error and no data, writes a warning (with the
request id, like every line of the request), and the server keeps serving everyone else: the
timeout cancels only this request's work, at its next await.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable

import structlog
from graphql import GraphQLError
from strawberry.types import ExecutionResult

log = structlog.get_logger("certready.graphql")


async def within_time_budget(
    execution: Awaitable[ExecutionResult], seconds: float, operation: str | None
) -> ExecutionResult:
    """The operation's result, or a refusal once it has run for `seconds`."""
    try:
        async with asyncio.timeout(seconds) as deadline:
            return await execution
    except TimeoutError:
        if not deadline.expired():
            raise  # not our deadline: some other timeout, left to whoever set it
    log.warning("time budget exceeded", operation=operation, budget_seconds=seconds)
    message = (
        f"The operation took longer than its time budget of {seconds:g} s"
        " (GRAPHQL_TIME_BUDGET_SECONDS); ask for less."
    )
    return ExecutionResult(data=None, errors=[GraphQLError(message)])


def within_size_cap(body: str | bytes, max_bytes: int) -> str | bytes:
    """The encoded answer, or a refusal when it is larger than `max_bytes`. strawberry
    encodes JSON as ASCII, so characters are bytes."""
    if len(body) <= max_bytes:
        return body
    log.warning("response too large", size_bytes=len(body), max_bytes=max_bytes)
    message = (
        f"The answer would be {len(body)} bytes, more than the limit of {max_bytes}"
        " (GRAPHQL_MAX_RESPONSE_BYTES); ask for fewer fields or items."
    )
    return json.dumps({"data": None, "errors": [{"message": message}]})
