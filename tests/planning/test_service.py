"""Planning rules below the API: what a valid objective, action and milestone is."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.assessments import service as assessment_service
from backend.core import calendar
from backend.core.access import Actor
from backend.core.changes import KEEP
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.planning import service
from backend.planning.models import Action, ActionRequirement
from backend.planning.service import ActionFields, MilestoneFields, ObjectiveFields
from tests.planning.helpers import Plan, planning_rows

OBJECTIVE = ObjectiveFields(
    statement="Deliver on time",
    indicator="Orders shipped by the promised date",
    target="98 % per quarter",
    benefit="customer_satisfaction",
)


async def refused(
    db: TenantSession,
    owner_engine: AsyncEngine,
    attempt: Awaitable[object],
    code: ErrorCode,
    field: list[str],
) -> ServiceError:
    """Await `attempt`, expect `code` on `field`, and check nothing was written. Rolls back,
    as the API does after every refusal."""
    before = await planning_rows(owner_engine)
    with pytest.raises(ServiceError) as caught:
        await attempt
    await db.rollback()
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    assert await planning_rows(owner_engine) == before
    return caught.value


async def objective_in(
    db: TenantSession, actor: Actor, plan: Plan, program: str = "a"
) -> uuid.UUID:
    return (await service.create_objective(db, actor, plan.programs[program], OBJECTIVE)).id


async def linked_numbers(db: TenantSession, action_id: uuid.UUID) -> list[str]:
    [clauses] = await service.requirements_of_actions(db, [action_id])
    return [clause.number for clause in clauses]


# --- objectives ---------------------------------------------------------------------------


async def test_objective_is_created_with_its_benefit_and_owner(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    values = ObjectiveFields(
        statement="  Fewer complaints  ",
        indicator="Complaints per 1,000 orders",
        target="Below 2",
        benefit="customer_satisfaction",
        due_date=date(2027, 6, 30),
        owner_id=plan.users["a_admin"],
    )
    objective = await service.create_objective(session, owner_a, plan.programs["a"], values)
    assert (objective.statement, objective.benefit, objective.status) == (
        "Fewer complaints",
        "customer_satisfaction",
        "open",
    )
    assert (objective.owner_id, objective.due_date) == (plan.users["a_admin"], date(2027, 6, 30))
    assert service.is_measurable(objective)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"indicator": KEEP}, ["indicator"], id="no indicator"),
        pytest.param({"target": KEEP}, ["target"], id="no target"),
        pytest.param({"indicator": "  "}, ["indicator"], id="blank indicator"),
        pytest.param({"target": ""}, ["target"], id="empty target"),
        pytest.param({"indicator": "i" * 301}, ["indicator"], id="long indicator"),
        pytest.param({"benefit": KEEP}, ["benefit"], id="no benefit"),
        pytest.param({"benefit": "world_peace"}, ["benefit"], id="unknown benefit"),
        pytest.param({"status": "done"}, ["status"], id="unknown status"),
    ],
)
async def test_an_objective_needs_indicator_target_and_a_known_benefit(
    *,
    session: TenantSession,
    owner_engine: AsyncEngine,
    owner_a: Actor,
    plan: Plan,
    changes: dict[str, Any],
    field: list[str],
) -> None:
    values = replace(OBJECTIVE, **changes)
    attempt = service.create_objective(session, owner_a, plan.programs["a"], values)
    await refused(session, owner_engine, attempt, ErrorCode.INVALID, field)


async def test_bad_benefit_names_the_allowed_ones(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    values = ObjectiveFields(statement="s", indicator="i", target="t", benefit="vanity")
    attempt = service.create_objective(session, owner_a, plan.programs["a"], values)
    error = await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["benefit"])
    assert "regulatory_compliance" in error.message


@pytest.mark.parametrize("outsider", ["b_owner", "consultant", "auditor", "nobody"])
async def test_the_owner_must_be_a_member_of_the_organization(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan, outsider: str
) -> None:
    owner_id = plan.users.get(outsider, uuid.uuid4())
    values = replace(OBJECTIVE, owner_id=owner_id)
    attempt = service.create_objective(session, owner_a, plan.programs["a"], values)
    await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["ownerId"])


async def test_updating_an_objective_changes_only_what_is_given(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    objective_id = await objective_in(session, owner_a, plan)
    await service.update_objective(
        session, owner_a, objective_id, ObjectiveFields(owner_id=plan.users["a_viewer"])
    )
    updated = await service.update_objective(
        session, owner_a, objective_id, ObjectiveFields(target="99 %", status="on_track")
    )
    assert (updated.target, updated.status, updated.indicator) == (
        "99 %",
        "on_track",
        OBJECTIVE.indicator,
    )
    assert updated.owner_id == plan.users["a_viewer"]  # a viewer may own; it is a member
    cleared = await service.update_objective(
        session, owner_a, objective_id, ObjectiveFields(owner_id=None)
    )
    assert cleared.owner_id is None


async def test_an_update_cannot_empty_a_required_field(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    objective_id = await objective_in(session, owner_a, plan)
    attempt = service.update_objective(session, owner_a, objective_id, ObjectiveFields(target=" "))
    await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["target"])


# --- actions ------------------------------------------------------------------------------


async def test_action_links_requirements_by_number_or_clause_id(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    values = ActionFields(
        title="Write the design procedure",
        owner_id=plan.users["a_admin"],
        due_date=date(2027, 1, 31),
        effort_hours=Decimal("12.5"),
        requirements=["8.5.1", plan.clauses[("X", "4.2")], " 5.1 ", "8.5.1"],
    )
    action = await service.create_action(session, owner_a, plan.programs["a"], values)
    assert await linked_numbers(session, action.id) == ["4.2", "5.1", "8.5.1"]
    assert (action.status, action.effort_hours, action.description) == (
        "open",
        Decimal("12.5"),
        "",
    )


async def test_unknown_requirements_are_refused_by_name(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    stranger = uuid.uuid4()
    values = ActionFields(
        title="Fix things",
        # Y.1 and Y's 4.1 belong to another standard; 99.9 exists nowhere.
        requirements=["4.2", "99.9", "Y.1", plan.clauses[("Y", "4.1")], stranger],
    )
    attempt = service.create_action(session, owner_a, plan.programs["a"], values)
    error = await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["requirements"])
    for name in ("99.9", "Y.1", str(plan.clauses[("Y", "4.1")]), str(stranger)):
        assert name in error.message
    assert "4.2" not in error.message


async def test_updating_requirements_replaces_the_set(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    fields = ActionFields(title="Close gaps", requirements=["4.2", "5.1"])
    action = await service.create_action(session, owner_a, plan.programs["a"], fields)
    await service.update_action(
        session, owner_a, action.id, ActionFields(requirements=["5.1", "6.2"])
    )
    assert await linked_numbers(session, action.id) == ["5.1", "6.2"]
    await service.update_action(session, owner_a, action.id, ActionFields(title="Renamed"))
    assert await linked_numbers(session, action.id) == ["5.1", "6.2"]  # not given: kept
    await service.update_action(session, owner_a, action.id, ActionFields(requirements=[]))
    assert await linked_numbers(session, action.id) == []


@pytest.mark.parametrize(
    "hours", [Decimal(-1), Decimal("-0.1"), Decimal("1000000"), Decimal("NaN")]
)
async def test_effort_is_zero_or_more_hours(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan, hours: Decimal
) -> None:
    attempt = service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", effort_hours=hours)
    )
    await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["effortHours"])


async def test_zero_effort_is_fine_and_effort_is_rounded_to_a_tenth(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    zero = await service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", effort_hours=Decimal(0))
    )
    rounded = await service.update_action(
        session, owner_a, zero.id, ActionFields(effort_hours=Decimal("2.26"))
    )
    assert rounded.effort_hours == Decimal("2.3")


async def test_the_objective_must_belong_to_the_same_program(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    elsewhere = await objective_in(session, owner_a, plan, "a_other")
    attempt = service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", objective_id=elsewhere)
    )
    await refused(session, owner_engine, attempt, ErrorCode.INVALID, ["objectiveId"])
    unknown = service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", objective_id=uuid.uuid4())
    )
    await refused(session, owner_engine, unknown, ErrorCode.NOT_FOUND, ["objectiveId"])


async def test_an_action_needs_a_title_and_a_known_status(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    program = plan.programs["a"]
    untitled = service.create_action(session, owner_a, program, ActionFields(description="d"))
    await refused(session, owner_engine, untitled, ErrorCode.INVALID, ["title"])
    unknown = service.create_action(
        session, owner_a, program, ActionFields(title="t", status="late")
    )
    await refused(session, owner_engine, unknown, ErrorCode.INVALID, ["status"])


async def test_completed_at_is_set_when_done_and_only_while_done(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    action = await service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", status="in_progress")
    )
    assert action.completed_at is None
    done = await service.update_action(session, owner_a, action.id, ActionFields(status="done"))
    finished_at = done.completed_at
    assert finished_at is not None
    assert abs(finished_at - datetime.now(UTC)) < timedelta(minutes=1)
    again = await service.update_action(session, owner_a, action.id, ActionFields(status="done"))
    assert again.completed_at == finished_at  # done twice is still the first time
    reopened = await service.update_action(session, owner_a, action.id, ActionFields(status="open"))
    assert reopened.completed_at is None


async def test_action_counts_ignore_cancelled_actions_and_other_programs(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = plan.programs["a"]
    for status in ("open", "done", "cancelled"):
        fields = ActionFields(title=status, status=status, requirements=["4.2", "5.1"])
        await service.create_action(session, owner_a, program, fields)
    await service.create_action(
        session, owner_a, program, ActionFields(title="t", requirements=["5.1"])
    )
    keys = [
        (program, plan.clauses[("X", "4.2")]),
        (program, plan.clauses[("X", "5.1")]),
        (program, plan.clauses[("X", "6.2")]),
        (plan.programs["b"], plan.clauses[("X", "5.1")]),
    ]
    assert await assessment_service.action_counts(session, keys) == [2, 3, 0, 0]


async def test_links_are_stored_in_the_action_tenant(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    action = await service.create_action(
        session, owner_a, plan.programs["a"], ActionFields(title="t", requirements=["4.2"])
    )
    link = await session.scalar(
        select(ActionRequirement).where(ActionRequirement.action_id == action.id)
    )
    stored = await session.get(Action, action.id)
    assert link is not None
    assert stored is not None
    assert link.tenant_id == stored.tenant_id == plan.orgs["a"]


# --- milestones ---------------------------------------------------------------------------


async def test_milestone_is_reached_and_unreached(
    session: TenantSession, owner_engine: AsyncEngine, owner_a: Actor, plan: Plan
) -> None:
    program = plan.programs["a"]
    undated = service.create_milestone(session, owner_a, program, MilestoneFields(title="Stage 1"))
    await refused(session, owner_engine, undated, ErrorCode.INVALID, ["dueDate"])
    milestone = await service.create_milestone(
        session, owner_a, program, MilestoneFields(title="Stage 1", due_date=date(2027, 3, 1))
    )
    assert milestone.reached_at is None
    reached = await service.update_milestone(
        session, owner_a, milestone.id, MilestoneFields(reached=True)
    )
    assert reached.reached_at is not None
    renamed = await service.update_milestone(
        session, owner_a, milestone.id, MilestoneFields(title="Stage 1 audit")
    )
    assert (renamed.title, renamed.reached_at) == ("Stage 1 audit", reached.reached_at)
    unreached = await service.update_milestone(
        session, owner_a, milestone.id, MilestoneFields(reached=False)
    )
    assert unreached.reached_at is None


# --- overdue ------------------------------------------------------------------------------


def test_today_is_the_tenants_date_not_utcs() -> None:
    # 11:00 UTC on 10 March is already 11 March at UTC+14 and still 10 March at UTC-11.
    now = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    assert calendar.local_today("UTC", now) == date(2026, 3, 10)
    assert calendar.local_today("Pacific/Kiritimati", now) == date(2026, 3, 11)
    assert calendar.local_today("Pacific/Pago_Pago", now) == date(2026, 3, 10)
    assert calendar.local_today("Pacific/Pago_Pago", now - timedelta(hours=1)) == date(2026, 3, 9)


def test_overdue_means_past_due_and_unfinished() -> None:
    today = date(2026, 3, 11)
    assert calendar.is_overdue(date(2026, 3, 10), False, today)
    assert not calendar.is_overdue(date(2026, 3, 11), False, today)  # due today is not late
    assert not calendar.is_overdue(date(2026, 3, 10), True, today)
    assert not calendar.is_overdue(None, False, today)
