"""Exit criteria of the planning step, judged from the plan and the gap analysis."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import service as findings_service
from backend.findings.service import FindingFields, NewCorrectiveAction, RequirementTarget
from backend.planning import criteria, service
from backend.planning.service import ActionFields, ObjectiveFields
from backend.programs.criteria import criteria_of, evaluate_step
from backend.programs.models import Program, StepKey
from backend.runtime import Runtime
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY
from tests.planning.helpers import GAPS, Plan, acting
from tests.support import Client, gql, judge, login
from tests.tenants.helpers import owner_execute

DUE = date(2027, 1, 31)


async def program_a(db: TenantSession, plan: Plan) -> Program:
    program = await db.get(Program, plan.programs["a"])
    assert program is not None
    return program


async def gap_verdict(db: TenantSession, plan: Plan) -> tuple[bool, str]:
    verdict = await judge(criteria.every_gap_has_an_action, db, await program_a(db, plan))
    return verdict.met, verdict.reason


async def objective_verdict(db: TenantSession, plan: Plan) -> tuple[bool, str]:
    verdict = await judge(criteria.measurable_objective_exists, db, await program_a(db, plan))
    return verdict.met, verdict.reason


async def act(db: TenantSession, actor: Actor, program_id: uuid.UUID, **values: Any) -> None:
    """Plan an action in `program_id` with `values` (ActionFields keywords)."""
    await service.create_action(
        db, actor, program_id, ActionFields(title="Close the gap", **values)
    )


def test_both_criteria_are_registered_for_planning() -> None:
    keys = {item.key for item in criteria_of(StepKey.PLANNING)}
    assert {"every-gap-has-an-action", "measurable-objective"} <= keys
    assert "plan-actions-finished" in {item.key for item in criteria_of(StepKey.IMPLEMENTATION)}


async def test_every_gap_unmet_names_the_requirements_without_an_action(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    assert await gap_verdict(session, plan) == (
        False,
        "4 gaps lack an action with an owner and a due date: 4.2, 5.1, 6.2, 8.5.1.",
    )


async def test_only_owned_dated_live_actions_of_this_program_cover_a_gap(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    owner = plan.users["a_admin"]
    await act(
        session, owner_a, plan.programs["a"], requirements=["4.2"], owner_id=owner, due_date=DUE
    )
    await act(session, owner_a, plan.programs["a"], requirements=["5.1"], due_date=DUE)  # no owner
    await act(
        session, owner_a, plan.programs["a"], requirements=["8.5.1"], owner_id=owner
    )  # no due date
    cancelled = {"owner_id": owner, "due_date": DUE, "status": "cancelled"}
    await act(session, owner_a, plan.programs["a"], requirements=["6.2"], **cancelled)
    b_owner = await acting(session, plan, "b_owner", "b", Role.OWNER)
    other_program = {"owner_id": plan.users["b_owner"], "due_date": DUE}
    await act(session, b_owner, plan.programs["b"], requirements=list(GAPS), **other_program)
    await acting(session, plan, "a_owner", "a", Role.OWNER)
    assert await gap_verdict(session, plan) == (
        False,
        "3 gaps lack an action with an owner and a due date: 5.1, 6.2, 8.5.1.",
    )


async def test_every_gap_met_when_each_has_an_owned_dated_action(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    owned = {"owner_id": plan.users["a_owner"], "due_date": DUE}
    await act(session, owner_a, plan.programs["a"], requirements=["4.2", "5.1"], **owned)
    await act(
        session, owner_a, plan.programs["a"], requirements=["6.2", "8.5.1"], status="done", **owned
    )
    assert await gap_verdict(session, plan) == (
        True,
        "Each of the 4 gaps has an owned, dated action.",
    )


async def test_a_single_missing_gap_reads_in_the_singular(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    owned = {"owner_id": plan.users["a_owner"], "due_date": DUE}
    await act(session, owner_a, plan.programs["a"], requirements=["4.2", "5.1", "6.2"], **owned)
    assert await gap_verdict(session, plan) == (
        False,
        "1 gap lacks an action with an owner and a due date: 8.5.1.",
    )


async def test_reason_names_at_most_five_gaps(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    await owner_execute(
        owner_engine,
        "UPDATE assessments SET status = 'nonconformant' WHERE program_id = :program",
        program=plan.programs["a"],
    )
    assert await gap_verdict(session, plan) == (
        False,
        "8 gaps lack an action with an owner and a due date: 4.1, 4.2, 5.1, 6.2, 7.1 and 3 more.",
    )


async def test_no_gaps_is_met(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    await owner_execute(
        owner_engine,
        "UPDATE assessments SET status = 'conformant' WHERE program_id = :program",
        program=plan.programs["a"],
    )
    assert await gap_verdict(session, plan) == (
        True,
        "No partial or nonconformant requirements are recorded.",
    )


async def test_measurable_objective_unmet_until_a_live_one_exists(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    assert await objective_verdict(session, plan) == (
        False,
        "No objective has both an indicator and a target yet.",
    )
    values = ObjectiveFields(
        statement="Fewer incidents", indicator="Incidents", target="< 3", benefit="risk_management"
    )
    cancelled = await service.create_objective(session, owner_a, plan.programs["a"], values)
    await service.update_objective(
        session, owner_a, cancelled.id, ObjectiveFields(status="cancelled")
    )
    elsewhere = await service.create_objective(session, owner_a, plan.programs["a_other"], values)
    # Written behind the rules' back: an objective without a target does not count either.
    await owner_execute(
        owner_engine,
        "INSERT INTO objectives (id, tenant_id, program_id, statement, indicator, target,"
        " status, benefit) VALUES (gen_random_uuid(), :tenant, :program, 'Vague', 'Mood', '  ',"
        " 'open', 'improved_efficiency')",
        tenant=plan.orgs["a"],
        program=plan.programs["a"],
    )
    assert (await objective_verdict(session, plan))[0] is False
    assert elsewhere.program_id != plan.programs["a"]
    await service.create_objective(session, owner_a, plan.programs["a"], values)
    assert await objective_verdict(session, plan) == (True, "1 measurable objective.")


async def test_each_criterion_is_one_statement_whatever_the_plan(
    session: TenantSession, runtime: Runtime, owner_a: Actor, plan: Plan
) -> None:
    for number in GAPS:
        await act(
            session,
            owner_a,
            plan.programs["a"],
            requirements=[number],
            owner_id=plan.users["a_owner"],
        )
    program = await program_a(session, plan)
    for check in (criteria.every_gap_has_an_action, criteria.measurable_objective_exists):
        with count_statements(runtime.engine) as statements:
            await judge(check, session, program)
        assert len(statements) == 1, statements
    evaluated = {
        result.key: result.met for result in await evaluate_step(session, program, StepKey.PLANNING)
    }
    assert evaluated["every-gap-has-an-action"] is False
    assert evaluated["measurable-objective"] is False


STEP_CRITERIA = """
query($id: ID!) { program(id: $id) { steps { key criteria { key met reason } } } }
"""


async def test_the_planning_step_reports_both_criteria_through_the_api(
    client: Client, plan: Plan
) -> None:
    token = await login(client, "auditor")
    body = await gql(client, STEP_CRITERIA, {"id": plan.program_gid("a")}, token=token)
    steps = {step["key"]: step["criteria"] for step in body["data"]["program"]["steps"]}
    reported = {item["key"]: (item["met"], item["reason"]) for item in steps["PLANNING"]}
    assert reported["every-gap-has-an-action"] == (
        False,
        "4 gaps lack an action with an owner and a due date: 4.2, 5.1, 6.2, 8.5.1.",
    )
    assert reported["measurable-objective"][0] is False


async def plan_verdict(db: TenantSession, plan: Plan) -> tuple[bool, str]:
    verdict = await judge(criteria.plan_actions_finished, db, await program_a(db, plan))
    return verdict.met, verdict.reason


async def test_the_plan_is_finished_when_each_action_is_done_or_cancelled(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    """Corrective actions of findings answer the internal audit, so they are not the plan."""
    assert await plan_verdict(session, plan) == (
        True,
        "Every action of the plan is done or cancelled.",
    )
    for title, status in (("Write QP-04", "open"), ("Train buyers", "in_progress")):
        await service.create_action(
            session, owner_a, plan.programs["a"], ActionFields(title=title, status=status)
        )
    for status in ("done", "cancelled"):
        await act(session, owner_a, plan.programs["a"], status=status)
    finding = await findings_service.raise_finding(
        session,
        owner_a,
        "self_identified",
        FindingFields(
            type="minor_nonconformity",
            statement="s",
            objective_evidence="e",
            requirements=[RequirementTarget(plan.programs["a"], "4.1")],
        ),
    )
    await findings_service.record_correction(session, owner_a, finding.id, "c", TODAY)
    await findings_service.record_root_cause(session, owner_a, finding.id, "other", "r")
    await findings_service.add_corrective_action(
        session, owner_a, finding.id, NewCorrectiveAction("Corrective", plan.users["a_owner"], DUE)
    )
    assert await plan_verdict(session, plan) == (
        False,
        '2 actions of the plan are not done yet: "Write QP-04", "Train buyers".',
    )
