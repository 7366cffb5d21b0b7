"""What loading facts and recomputing costs: the same statements for one program as for
many (docs/readiness.md gives the counts)."""

from __future__ import annotations

import uuid

from strawberry import relay

from backend.readiness import service
from backend.readiness.facts import load_facts
from backend.runtime import Runtime
from tests.api.helpers import count_statements
from tests.readiness.helpers import STANDARDS, start
from tests.support import Client, World, login

FACT_STATEMENTS = (
    8  # programs, requirements, evidence, documents, steps, actions, training, findings
)


async def _programs(client: Client, world: World) -> list[uuid.UUID]:
    token = await login(client, "a_owner")
    ids = [await start(client, world, token, *standard) for standard in STANDARDS]
    return [uuid.UUID(relay.GlobalID.from_id(value).node_id) for value in ids]


async def test_facts_and_recompute_cost_the_same_for_one_and_many_programs(
    client: Client, world: World, runtime: Runtime
) -> None:
    programs = await _programs(client, world)
    async with runtime.acting_in(world.orgs["a"].id) as db:
        await load_facts(db, programs)  # the scope's first statement sets the tenant
        costs = []
        for chosen in (programs[:1], programs):
            with count_statements(runtime.engine) as loading:
                loaded = await load_facts(db, chosen)
            with count_statements(runtime.engine) as recomputing:
                stored = await service.recompute(db, chosen)
            with count_statements(runtime.engine) as assessing:
                await service.assess(db, chosen)
            assert len(loaded) == len(stored) == len(chosen)
            costs.append((len(loading), len(recomputing), len(assessing)))
    assert costs[0] == costs[1] == (FACT_STATEMENTS, FACT_STATEMENTS + 1, FACT_STATEMENTS + 1)
