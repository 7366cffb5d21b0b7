"""Exit criteria of the internal audit step that findings judge."""

from __future__ import annotations

from datetime import timedelta

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.findings import criteria, service
from backend.findings.service import NewCorrectiveAction
from backend.programs.criteria import criteria_of, evaluate_step
from backend.programs.models import Program, StepKey
from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY, on, raise_nc
from tests.planning.helpers import Plan
from tests.support import judge


async def _program(db: TenantSession, plan: Plan) -> Program:
    program = await db.get(Program, plan.programs["a"])
    assert program is not None
    return program


def test_both_criteria_are_registered_for_the_internal_audit() -> None:
    keys = {item.key for item in criteria_of(StepKey.INTERNAL_AUDIT)}
    assert {"no-major-nonconformity-open", "minor-nonconformities-acted-on"} <= keys


async def test_open_major_nonconformities_of_the_program_are_named(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    first = await raise_nc(session, owner_a, plan, "7.5.1", major=True)
    second = await raise_nc(session, owner_a, plan, "8.5.1", major=True)
    await raise_nc(session, owner_a, plan, major=True, requirements=on(plan, "a_q", "9.2"))
    program = await _program(session, plan)
    verdict = await judge(criteria.no_major_nonconformity_open, session, program)
    assert (verdict.met, verdict.reason) == (
        False,
        f"2 major nonconformities are open: {first.reference}, {second.reference}.",
    )


async def test_minor_nonconformities_need_an_owned_dated_action_of_their_round(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan)
    program = await _program(session, plan)
    unmet = await judge(criteria.minor_nonconformities_acted_on, session, program)
    assert (unmet.met, unmet.reason) == (
        False,
        "1 minor nonconformity lacks a corrective action with an owner and a due date:"
        f" {finding.reference}.",
    )
    await service.record_correction(session, owner_a, finding.id, "Contained.", TODAY)
    await service.record_root_cause(session, owner_a, finding.id, "other", "No plan owner.")
    await service.add_corrective_action(
        session,
        owner_a,
        finding.id,
        NewCorrectiveAction("Own the plan", plan.users["a_manager"], TODAY + timedelta(days=9)),
    )
    met = await judge(
        criteria.minor_nonconformities_acted_on, session, await _program(session, plan)
    )
    assert (met.met, met.reason) == (
        True,
        "Every open minor nonconformity has an owned, dated corrective action.",
    )


async def test_each_criterion_is_one_statement_whatever_the_findings(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    for _ in range(3):
        await raise_nc(session, owner_a, plan, major=True)
    program = await _program(session, plan)
    for check in (criteria.no_major_nonconformity_open, criteria.minor_nonconformities_acted_on):
        with count_statements() as sent:
            await judge(check, session, program)
        assert len(sent) == 1
    results = {
        result.key: result
        for result in await evaluate_step(session, program, StepKey.INTERNAL_AUDIT)
    }
    assert results["no-major-nonconformity-open"].reason.startswith("3 major nonconformities")
