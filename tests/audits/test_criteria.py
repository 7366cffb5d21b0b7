"""Step 6 criteria that audits judge (coverage of the programme, audits closed), beside the
management review that reviews judge once an audit has closed."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.audits import service
from backend.audits.models import ChecklistLine
from backend.audits.scope import ScopePart
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.programs.criteria import evaluate_step
from backend.programs.models import Program, StepKey
from backend.reviews.criteria import NO_AUDIT
from backend.runtime import Runtime
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.audits.helpers import plan_audit, programme
from tests.findings.helpers import TODAY, raise_nc
from tests.planning.helpers import Plan, acting

AUDIT_CRITERIA = ("programme-covers-scope", "audits-closed", "management-review-held")
NO_REVIEW = f"No management review held since internal audit IA-2026-01 closed on {TODAY}."


async def _verdicts(db: TenantSession, plan: Plan, key: str = "a") -> dict[str, tuple[bool, str]]:
    program = await db.get(Program, plan.programs[key])
    assert program is not None
    return {
        result.key: (result.met, result.reason)
        for result in await evaluate_step(db, program, StepKey.INTERNAL_AUDIT)
        if result.key in AUDIT_CRITERIA
    }


async def _conduct(db: TenantSession, actor: Actor, audit_id: uuid.UUID, result: str) -> None:
    await service.start_audit(db, actor, audit_id)
    lines = await db.scalars(select(ChecklistLine.id).where(ChecklistLine.audit_id == audit_id))
    for line_id in list(lines):
        await service.record_checklist_result(db, actor, line_id, service.LineFields(result=result))


async def test_without_a_programme_nothing_is_met(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    assert await _verdicts(session, plan) == {
        "programme-covers-scope": (False, "No audit programme covers this program yet."),
        "audits-closed": (False, "No audit programme covers this program yet."),
        "management-review-held": (False, NO_AUDIT.reason),
    }


async def test_criteria_name_what_is_left(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    """Step 6 lists its criteria in feature order: findings' first, then audits'."""
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    await plan_audit(session, owner_a, plan, row, reference="IA-2026-02")
    assert await _verdicts(session, plan) == {
        "programme-covers-scope": (
            False,
            "5 clauses not yet audited: 7.5.1, 7.5.2, 8.5.1, 9.2, 10.2.",
        ),
        "audits-closed": (False, "2 audits are not closed yet: IA-2026-01, IA-2026-02."),
        "management-review-held": (False, NO_AUDIT.reason),
    }
    await _conduct(session, owner_a, audit_id, "conformant")
    await service.finish_fieldwork(session, owner_a, audit_id)
    lead = await acting(session, plan, "a_admin", "a", Role.ADMIN)
    await service.sign_audit(session, lead, audit_id, "Under control.")
    verdicts = await _verdicts(session, plan)
    assert verdicts["programme-covers-scope"] == (
        False,
        "3 clauses not yet audited: 8.5.1, 9.2, 10.2.",
    )
    assert verdicts["audits-closed"] == (False, "1 audit is not closed yet: IA-2026-02.")
    program = await session.get(Program, plan.programs["a"])
    assert program is not None
    keys = [r.key for r in await evaluate_step(session, program, StepKey.INTERNAL_AUDIT)]
    assert keys == [
        "no-major-nonconformity-open",
        "minor-nonconformities-acted-on",
        *AUDIT_CRITERIA,
    ]


async def test_a_clause_audited_once_is_due_again_when_its_area_has_a_nonconformity(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan, scope=[ScopePart(plan.programs["a"])])
    lead = await acting(session, plan, "a_admin", "a", Role.ADMIN)
    audit = await plan_audit(session, owner_a, plan, row, ScopePart(plan.programs["a"]))
    audit_id = audit.id
    await _conduct(session, owner_a, audit_id, "conformant")
    await service.finish_fieldwork(session, owner_a, audit_id)
    await service.sign_audit(session, lead, audit_id, "All seen.")
    assert await _verdicts(session, plan) == {
        "programme-covers-scope": (
            True,
            "Every clause of the programme is audited as often as due.",
        ),
        "audits-closed": (True, "Every audit in the programme's period is closed or cancelled."),
        "management-review-held": (False, NO_REVIEW),
    }
    await acting(session, plan, "a_owner", "a", Role.OWNER)
    await raise_nc(session, owner_a, plan, "7.5.2")
    covers = (await _verdicts(session, plan))["programme-covers-scope"]
    assert covers == (False, "2 clauses not yet audited: 7.5.1 (again), 7.5.2 (again).")


async def test_each_criterion_costs_the_same_statements_for_one_audit_or_many(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime
) -> None:
    row = await programme(session, owner_a, plan)
    await plan_audit(session, owner_a, plan, row, ScopePart(plan.programs["a"], ["7.5.1"]))
    with count_statements(runtime.engine) as one:
        await _verdicts(session, plan)
    for number in range(2, 6):
        await plan_audit(session, owner_a, plan, row, reference=f"IA-2026-0{number}")
    with count_statements(runtime.engine) as many:
        await _verdicts(session, plan)
    assert len(one) == len(many)
