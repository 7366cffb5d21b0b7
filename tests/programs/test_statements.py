"""Reading many programs costs the same SQL as reading one, but for the criteria's own checks."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from sqlalchemy import func, select

from backend.db.session import TenantSession
from backend.programs.criteria import Verdict
from backend.programs.models import Program, ProgramStep, StepKey
from tests.api.helpers import count_statements
from tests.programs.conftest import Env, MakeStandard, StepCriteria
from tests.programs.helpers import user_gid

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


async def test_criteria_add_only_their_own_statements_per_program(
    env: Env, app: Litestar, make_standard: MakeStandard, registry: StepCriteria
) -> None:
    """One criterion of one SQL statement: each extra program costs exactly that statement."""

    async def one_query(db: TenantSession, program: Program) -> Verdict:
        steps = await db.scalar(select(func.count()).where(ProgramStep.program_id == program.id))
        return Verdict(steps == 7, f"{steps} steps.")

    registry.add(StepKey.TRAINING, "one-query", one_query)
    await start(env, make_standard, 1)
    one, _ = await statements_for(env, app, WITH_CRITERIA)
    await start(env, make_standard, 2, first=1)
    three, data = await statements_for(env, app, WITH_CRITERIA)
    training = [step_ for edge in data["programs"]["edges"] for step_ in edge["node"]["steps"]]
    verdicts = [step_["criteria"] for step_ in training if step_["key"] == "TRAINING"]
    assert verdicts == [[{"key": "one-query", "met": True, "reason": "7 steps."}]] * 3
    assert three - one == 2
