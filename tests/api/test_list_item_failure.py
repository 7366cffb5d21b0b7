"""A client error in one item of a list is a GraphQL error, never a 500.

graphql-core cancels the failed item's siblings, and strawberry's DataLoader cancels a batch
nobody waits for any more: database calls cut off half-way used to close the request's
connection under its session, and closing the session then failed with a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from sqlalchemy import event

from backend.runtime import Runtime
from tests.api.helpers import messages, post
from tests.support import Client, World, login

# ISO 45001 has no component "planning": its item fails while the others load their trees.
PLANNING = '{ standards { code requirements(component: "planning") { number } } }'


@contextmanager
def discarded_connections(app: Litestar) -> Iterator[list[Any]]:
    """Connections the app's pool throws away (invalidated) while the block runs."""
    runtime: Runtime = app.state.runtime
    found: list[Any] = []

    def record(connection: Any, *_: Any) -> None:
        found.append(connection)

    event.listen(runtime.engine.sync_engine.pool, "invalidate", record)
    try:
        yield found
    finally:
        event.remove(runtime.engine.sync_engine.pool, "invalidate", record)


async def test_an_error_in_one_list_item_is_a_graphql_error(
    client: Client, app: Litestar, world: World
) -> None:
    token = await login(client, "a_viewer")
    runtime: Runtime = app.state.runtime
    with discarded_connections(app) as discarded:
        for _ in range(3):
            (message,) = messages(await post(client, PLANNING, token=token))
            assert message.startswith("ISO 45001:2018 has no component 'planning'")
    # Every connection went back to the pool healthy, and the next request uses one.
    assert discarded == []
    assert runtime.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    response = await post(client, "{ standards { code } }", token=token)
    assert messages(response) == []
