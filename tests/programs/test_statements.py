"""Reading many programs costs the same SQL as reading one, exit criteria included."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.programs.criteria import Programs, Verdict, Verdicts, ids_of, shared_facts
from backend.programs.models import Program, ProgramStep, StepKey
from backend.runtime import ApiRuntime
from tests.api.helpers import count_statements, messages, post
from tests.bench import scenarios
from tests.programs.conftest import Env, MakeStandard, StepCriteria
from tests.programs.helpers import user_gid
from tests.support import Client

PORTFOLIO = """
query {
  programs(first: 50) {
    totalCount
    edges { node {
      id status allowedTransitions standard { code edition } organization { slug }
      certificationBody { slug } owner { email }
      steps { key status owner { email } checklist { key done } %s }
    } }
  }
}
"""
WITHOUT_CRITERIA = PORTFOLIO % ""
WITH_CRITERIA = PORTFOLIO % "criteria { key met reason } canComplete"


async def start(env: Env, make_standard: MakeStandard, count: int, first: int = 0) -> None:
    for number in range(first, first + count):
        standard = await make_standard(f"TEST {number}", "2024", extra=number)
        payload = await env.mutate(
            "startProgram",
            {
                **standard.ref(),
                "scopeStatement": "All sites",
                "targetDate": "2027-06-30",
                "certificationBodySlug": "body-org",
                "ownerId": user_gid(env.world.users["a_admin"]),
            },
        )
        assert payload["errors"] == []


async def statements_for(env: Env, app: Litestar, document: str) -> tuple[int, Any]:
    await env.read(document)  # warm up: connection set-up is not the query's cost
    with count_statements(app.state.runtime.engine) as statements:
        data = await env.read(document)
    return len(statements), data


async def test_steps_of_one_or_three_programs_cost_the_same(
    env: Env, app: Litestar, make_standard: MakeStandard
) -> None:
    await start(env, make_standard, 1)
    one, data = await statements_for(env, app, WITHOUT_CRITERIA)
    assert data["programs"]["totalCount"] == 1
    await start(env, make_standard, 2, first=1)
    three, data = await statements_for(env, app, WITHOUT_CRITERIA)
    assert [len(edge["node"]["steps"]) for edge in data["programs"]["edges"]] == [7, 7, 7]
    assert one == three
    assert one > 0


async def test_a_criterion_costs_its_one_statement_for_any_number_of_programs(
    env: Env, app: Litestar, make_standard: MakeStandard, registry: StepCriteria
) -> None:
    async def one_query(db: TenantSession, programs: Programs) -> Verdicts:
        rows = await db.execute(
            select(ProgramStep.program_id, func.count())
            .where(ProgramStep.program_id.in_(ids_of(programs)))
            .group_by(ProgramStep.program_id)
        )
        steps = dict(rows.all())
        return {p.id: Verdict(steps[p.id] == 7, f"{steps[p.id]} steps.") for p in programs}

    registry.add(StepKey.TRAINING, "one-query", one_query)
    await start(env, make_standard, 1)
    one, _ = await statements_for(env, app, WITH_CRITERIA)
    await start(env, make_standard, 2, first=1)
    three, data = await statements_for(env, app, WITH_CRITERIA)
    training = [step_ for edge in data["programs"]["edges"] for step_ in edge["node"]["steps"]]
    verdicts = [step_["criteria"] for step_ in training if step_["key"] == "TRAINING"]
    assert verdicts == [[{"key": "one-query", "met": True, "reason": "7 steps."}]] * 3
    assert three == one


async def test_a_consultant_with_fifty_clients_costs_what_one_with_one_client_does(
    client: Client, app: Litestar, owner_engine: AsyncEngine
) -> None:
    """Every registered criterion, on every step of every client's program."""
    few, many = scenarios.consultancies()
    await scenarios.add_consultancies(owner_engine, (few, many))
    costs = []
    for item in (few, many):
        await scenarios.add_clients(client, item)
        token = await scenarios.login(client, item.email, scenarios.BENCH_PASSWORD)
        await post(client, WITH_CRITERIA, token=token)  # warm up
        with count_statements(app.state.runtime.engine) as statements:
            response = await post(client, WITH_CRITERIA, token=token)
        assert messages(response) == []
        assert response.json()["data"]["programs"]["totalCount"] == item.clients
        costs.append(len(statements))
    assert costs[0] == costs[1], f"{costs[0]} statements for 1 client, {costs[1]} for 50"


async def test_criteria_judging_shared_facts_read_them_once(
    env: Env, runtime: ApiRuntime, make_standard: MakeStandard, registry: StepCriteria
) -> None:
    """Two criteria on one `shared_facts` read send its statement once per request; called
    outside criteria judging, the read runs each time."""
    sent: list[int] = []

    @shared_facts
    async def step_counts(db: TenantSession, programs: Programs) -> dict[Any, int]:
        sent.append(len(programs))
        rows = await db.execute(
            select(ProgramStep.program_id, func.count())
            .where(ProgramStep.program_id.in_(ids_of(programs)))
            .group_by(ProgramStep.program_id)
        )
        return dict(rows.all())

    async def seven(db: TenantSession, programs: Programs) -> Verdicts:
        counts = await step_counts(db, programs)
        return {p.id: Verdict(counts[p.id] == 7, "seven") for p in programs}

    async def some(db: TenantSession, programs: Programs) -> Verdicts:
        counts = await step_counts(db, programs)
        return {p.id: Verdict(counts[p.id] > 0, "some") for p in programs}

    registry.add(StepKey.TRAINING, "seven-steps", seven)
    registry.add(StepKey.TRAINING, "some-steps", some)
    await start(env, make_standard, 2)
    data = await env.read(WITH_CRITERIA)
    training = [s for edge in data["programs"]["edges"] for s in edge["node"]["steps"]]
    verdicts = [[c["met"] for c in s["criteria"]] for s in training if s["key"] == "TRAINING"]
    assert verdicts == [[True, True], [True, True]]
    assert sent == [2]  # one read, for both programs, shared by both criteria
    async with runtime.acting_in(env.world.orgs["a"].id) as db:
        programs = list((await db.scalars(select(Program))).all())
        await step_counts(db, programs)
        await step_counts(db, programs)
    assert sent == [2, 2, 2]


ALIASED = """
query {
  programs(first: 50) { edges { node {
    plain: steps { key }
    judged: steps { key criteria { key met reason } canComplete }
  } } }
}
"""


async def test_two_selections_of_steps_each_answer_what_they_ask(
    env: Env, app: Litestar, make_standard: MakeStandard
) -> None:
    """What a list's rows ask for is remembered per place in the answer, so one selection
    without criteria and one with them, on the same field, each get their own."""
    await start(env, make_standard, 2)
    _, data = await statements_for(env, app, ALIASED)
    _, reference = await statements_for(env, app, WITH_CRITERIA)
    nodes = [edge["node"] for edge in data["programs"]["edges"]]
    expected = [edge["node"]["steps"] for edge in reference["programs"]["edges"]]
    assert len(nodes) == 2
    for node, steps in zip(nodes, expected, strict=True):
        assert node["plain"] == [{"key": step["key"]} for step in steps]
        assert node["judged"] == [
            {"key": s["key"], "criteria": s["criteria"], "canComplete": s["canComplete"]}
            for s in steps
        ]
