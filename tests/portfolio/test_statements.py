"""The portfolio and the work queue cost the same statements for one client as for fifty."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import count_statements
from tests.portfolio.helpers import PORTFOLIO, WORK_QUEUE, add_client, seed_program
from tests.support import Client, World, gql, login

REQUEST = 2  # the login's entitlements with the caller, the scope they give
LOADERS = 2  # the organizations and the programs the answer names
PORTFOLIO_STATEMENTS = REQUEST + 9 + LOADERS  # programs, one per figure, expected audits
WORK_QUEUE_STATEMENTS = REQUEST + 4 + LOADERS  # actions, findings, requirements, lines


async def _measure(client: Client, token: str, query: str) -> tuple[int, list[Any]]:
    with count_statements() as statements:
        body = await gql(client, query, {"first": 100}, token=token)
    assert "errors" not in body, body
    answer: list[Any] = next(iter(body["data"].values()))
    return len(statements), answer


async def test_one_client_and_fifty_cost_the_same(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    consultant = world.users["consultant"].id
    body_id, consultancy = world.orgs["body"].id, world.orgs["consultancy"].id
    await seed_program(owner_engine, world.orgs["a"].id, body_id, owner_id=consultant)
    token = await login(client, "consultant")
    costs = []
    for clients in (1, 50):
        portfolio, entries = await _measure(client, token, PORTFOLIO)
        queue, items = await _measure(client, token, WORK_QUEUE)
        assert len(entries) == clients
        assert len(items) == min(4 * clients, 100)  # each program: four unfinished actions
        costs.append((portfolio, queue))
        for number in range(clients, 50):
            other = await add_client(owner_engine, consultancy, f"Client {number}")
            await seed_program(owner_engine, other, body_id, owner_id=consultant)
    assert costs[0] == costs[1] == (PORTFOLIO_STATEMENTS, WORK_QUEUE_STATEMENTS)
