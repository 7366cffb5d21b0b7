"""The audits service below the API: the checklist from the scope, the audit's course,
locking, refusals that change nothing, auditor independence and coverage."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.audits import queries, service
from backend.audits.models import Audit, AuditProgramme, ChecklistLine
from backend.audits.scope import ScopePart
from backend.catalog.models import Standard
from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.planning.models import Action, ActionRequirement
from backend.programs.models import Program
from tenants.roles import Role
from tests.audits.helpers import PERIOD, audit_fields, audit_rows, plan_audit, programme
from tests.findings.helpers import TODAY, raise_nc
from tests.planning.helpers import Plan, acting

LATER = timedelta(days=2)


async def _lines(db: TenantSession, audit_id: uuid.UUID) -> list[ChecklistLine]:
    rows = await db.scalars(
        select(ChecklistLine)
        .where(ChecklistLine.audit_id == audit_id)
        .order_by(ChecklistLine.position)
    )
    return list(rows)


async def _record_all(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, result: str = "conformant"
) -> None:
    for line in await _lines(db, audit_id):
        await service.record_checklist_result(
            db, actor, line.id, service.LineFields(result=result, notes="Seen.")
        )


async def _refused(db: TenantSession, code: ErrorCode, call: object) -> ServiceError:
    """The refusal `call` ends in; the transaction is rolled back, as the API does."""
    with pytest.raises(ServiceError) as caught:
        await call  # type: ignore[misc]
    await db.rollback()
    assert caught.value.code is code, caught.value.message
    return caught.value


async def test_the_checklist_comes_from_the_scope_in_our_own_words(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    lines = await _lines(session, audit_id)
    assert [line.clause_id for line in lines] == [
        plan.clauses[("P", "7.5.1")],
        plan.clauses[("P", "7.5.2")],
    ]
    assert lines[0].question == (
        "How does the organization show that requirement 7.5.1 is in place?"
    )
    assert {line.result for line in lines} == {None}


async def test_an_audit_runs_its_course_and_is_locked_once_signed(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    await _refused(
        session, ErrorCode.INVALID, service.sign_audit(session, owner_a, audit_id, "Fine.")
    )
    started = await service.start_audit(session, owner_a, audit_id)
    assert (started.audit.status, started.audit.actual_start) == ("in_progress", TODAY)
    refusal = await _refused(
        session, ErrorCode.INVALID, service.finish_fieldwork(session, owner_a, audit_id)
    )
    assert "without a result" in refusal.message
    await _record_all(session, owner_a, audit_id)
    assert (await service.finish_fieldwork(session, owner_a, audit_id)).status == "reporting"
    lead = await acting(session, plan, "a_admin", "a", Role.ADMIN)
    refusal = await _refused(
        session, ErrorCode.FORBIDDEN, service.sign_audit(session, owner_a, audit_id, "Fine.")
    )
    assert "lead auditor" in refusal.message
    signed = await service.sign_audit(session, lead, audit_id, "Documents are under control.")
    assert (signed.status, signed.signed_by_id) == ("closed", plan.users["a_admin"])

    before = await audit_rows(owner_engine)
    [line, *_] = await _lines(session, audit_id)
    for change in (
        service.update_audit(session, lead, audit_id, service.AuditFields(title="Changed")),
        service.record_checklist_result(
            session, lead, line.id, service.LineFields(result="nonconformity")
        ),
        service.cancel_audit(session, lead, audit_id, "Too late."),
        service.start_audit(session, lead, audit_id),
    ):
        refusal = await _refused(session, ErrorCode.LOCKED, change)
        assert "IA-2026-01 is signed and locked" in refusal.message
    assert await audit_rows(owner_engine) == before


async def test_a_cancelled_audit_is_locked_and_results_wait_for_the_start(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    [line, *_] = await _lines(session, audit_id)
    refusal = await _refused(
        session,
        ErrorCode.INVALID,
        service.record_checklist_result(
            session, owner_a, line.id, service.LineFields(result="conformant")
        ),
    )
    assert "is planned: start it first" in refusal.message
    cancelled = await service.cancel_audit(session, owner_a, audit_id, "Moved to spring.")
    assert cancelled.status == "cancelled"
    await _refused(session, ErrorCode.LOCKED, service.start_audit(session, owner_a, audit_id))


async def test_the_scope_changes_while_planned_and_keeps_what_lines_hold(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    wider = [ScopePart(plan.programs["a"], ["7.5.2", "9.2"]), ScopePart(plan.programs["a_q"])]
    updated = await service.update_audit(
        session, owner_a, audit_id, service.AuditFields(scope=wider)
    )
    lines = await _lines(session, updated.audit.id)
    assert [line.clause_id for line in lines] == [
        plan.clauses[("P", "7.5.2")],
        plan.clauses[("P", "9.2")],
        plan.clauses[("Q", "7.5")],
        plan.clauses[("Q", "9.2")],
    ]
    await service.start_audit(session, owner_a, audit_id)
    refusal = await _refused(
        session,
        ErrorCode.INVALID,
        service.update_audit(session, owner_a, audit_id, service.AuditFields(scope=wider)),
    )
    assert "its scope can no longer change" in refusal.message


@pytest.mark.parametrize(
    "case",
    [
        (
            {"planned_start": PERIOD[1] + timedelta(days=1), "planned_end": PERIOD[1] + LATER},
            "plannedStart",
            "programme's period",
        ),
        ({"planned_end": TODAY - timedelta(days=1)}, "plannedEnd", "end before it starts"),
        ({"title": "  "}, "title", "must not be empty"),
        ({"team": [service.TeamMember(name="")]}, "team", "not both"),
        ({"processes": ["x" * 301]}, "processes", "at most 300"),
    ],
)
async def test_bad_audit_input_is_refused_and_changes_nothing(
    session: TenantSession,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
    case: tuple[dict[str, object], str, str],
) -> None:
    values, field, words = case
    row = await programme(session, owner_a, plan)
    row_id = row.id
    before = await audit_rows(owner_engine)
    refusal = await _refused(
        session,
        ErrorCode.INVALID,
        service.plan_audit(session, owner_a, row_id, "IA-1", audit_fields(plan, **values)),
    )
    assert (refusal.field[0], words in refusal.message) == (field, True), refusal.message
    assert await audit_rows(owner_engine) == before


@pytest.mark.parametrize(
    "case",
    [
        ([ScopePart(uuid.uuid4())], ErrorCode.NOT_FOUND, "Program not found"),
        (["b"], ErrorCode.NOT_FOUND, "Program not found"),  # another tenant's
        ([("a", ["7.9"])], ErrorCode.INVALID, "Not clauses of this program's standard: 7.9"),
        ([("a", []), ("a", [])], ErrorCode.INVALID, "each program once"),
        ([], ErrorCode.INVALID, "Name 1 to 10 programs"),
    ],
)
async def test_a_bad_programme_scope_is_refused_and_changes_nothing(
    session: TenantSession,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
    case: tuple[list[object], ErrorCode, str],
) -> None:
    scope, code, words = case
    parts = [
        part
        if isinstance(part, ScopePart)
        else ScopePart(plan.programs[part])
        if isinstance(part, str)
        else ScopePart(plan.programs[part[0]], part[1])  # type: ignore[index]
        for part in scope
    ]
    before = await audit_rows(owner_engine)
    refusal = await _refused(session, code, programme(session, owner_a, plan, scope=parts))
    assert words in refusal.message
    assert await audit_rows(owner_engine) == before


async def test_a_reference_names_one_audit_of_the_organization(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    row = await programme(session, owner_a, plan)
    row_id = row.id
    await plan_audit(session, owner_a, plan, row)
    before = await audit_rows(owner_engine)
    refusal = await _refused(
        session,
        ErrorCode.CONFLICT,
        service.plan_audit(session, owner_a, row_id, "IA-2026-01", audit_fields(plan)),
    )
    assert (refusal.field, refusal.message) == (
        ["reference"],
        "IA-2026-01 names another audit already.",
    )
    assert await audit_rows(owner_engine) == before


async def test_viewers_may_not_plan_audits(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan)
    row_id = row.id
    viewer = await acting(session, plan, "a_viewer", "a", Role.VIEWER)
    await _refused(
        session,
        ErrorCode.FORBIDDEN,
        service.plan_audit(session, viewer, row_id, "IA-9", audit_fields(plan)),
    )


async def _own_action_on(owner_engine: AsyncEngine, plan: Plan, user: str, number: str) -> None:
    async with AsyncSession(owner_engine) as db:
        action = Action(
            id=uuid.uuid4(),
            tenant_id=plan.orgs["a"],
            program_id=plan.programs["a"],
            title="Rewrite the document index",
            owner_id=plan.users[user],
        )
        db.add(action)
        await db.flush()
        db.add(
            ActionRequirement(
                tenant_id=plan.orgs["a"], action_id=action.id, clause_id=plan.clauses[("P", number)]
            )
        )
        await db.commit()


async def test_independence_refused_names_the_conflict_and_changes_nothing(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await _own_action_on(owner_engine, plan, "a_admin", "7.5.1")
    row = await programme(session, owner_a, plan)
    row_id = row.id
    before = await audit_rows(owner_engine)
    refusal = await _refused(
        session,
        ErrorCode.NOT_INDEPENDENT,
        service.plan_audit(session, owner_a, row_id, "IA-1", audit_fields(plan)),
    )
    assert refusal.message == (
        "An auditor may not audit work they own: A Admin audits 7.5.1 but owns its action"
        ' "Rewrite the document index". Change the team or the scope.'
    )
    assert await audit_rows(owner_engine) == before
    # The owner of the work may be on another audit, or the work left out of scope.
    other = audit_fields(plan, lead_auditor_id=plan.users["a_manager"])
    assert (await service.plan_audit(session, owner_a, row_id, "IA-1", other)).warnings == []
    team = service.AuditFields(team=[service.TeamMember(plan.users["a_admin"])])
    await _refused(
        session,
        ErrorCode.NOT_INDEPENDENT,
        service.update_audit(
            session, owner_a, (await session.scalars(select(Audit.id))).one(), team
        ),
    )


async def test_independence_warned_lets_the_change_through_with_warnings(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await _own_action_on(owner_engine, plan, "a_admin", "7.5.2")
    row = await programme(session, owner_a, plan, independence="warn")
    row_id = row.id
    planned = await service.plan_audit(session, owner_a, row_id, "IA-1", audit_fields(plan))
    assert planned.audit.status == "planned"
    assert planned.warnings == [
        'A Admin audits 7.5.2 but owns its action "Rewrite the document index"'
    ]
    started = await service.start_audit(session, owner_a, planned.audit.id)
    assert len(started.warnings) == 1


async def _coverage(
    db: TenantSession, plan: Plan, row: AuditProgramme
) -> dict[tuple[str, str], tuple[int, int]]:
    """(standard, number) -> (due, audited) of each requirement the programme covers."""
    standard = {plan.programs["a"]: "P", plan.programs["a_q"]: "Q"}
    return {
        (standard[item.program_id], item.clause.number): (item.due, item.audited)
        for item in await queries.coverage(db, row.id)
    }


async def test_an_integrated_audit_covers_every_standard_sharing_the_harmonized_clause(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    """P's 7.5.1 and 7.5.2 implement harmonized 7.5 through their parent, as Q's 7.5 does;
    a line not sampled, and a cancelled audit, count for nothing."""
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(
        session, owner_a, plan, row, ScopePart(plan.programs["a"], ["7.5.1", "9.2"])
    )
    audit_id = audit.id
    await service.start_audit(session, owner_a, audit_id)
    first, second = await _lines(session, audit_id)
    await service.record_checklist_result(
        session, owner_a, first.id, service.LineFields(result="observation")
    )
    await service.record_checklist_result(
        session, owner_a, second.id, service.LineFields(result="not_sampled")
    )
    cancelled = await plan_audit(
        session, owner_a, plan, row, ScopePart(plan.programs["a_q"], ["9.2"]), reference="IA-2"
    )
    await service.start_audit(session, owner_a, cancelled.id)
    [q_line] = await _lines(session, cancelled.id)
    await service.record_checklist_result(
        session, owner_a, q_line.id, service.LineFields(result="conformant")
    )
    await service.cancel_audit(session, owner_a, cancelled.id, "Auditor left.")
    assert await _coverage(session, plan, row) == {
        ("P", "7.5.1"): (1, 1),
        ("P", "7.5.2"): (1, 1),  # same harmonized clause, same standard
        ("P", "8.5.1"): (1, 0),
        ("P", "9.2"): (1, 0),  # not sampled
        ("P", "10.2"): (1, 0),
        ("Q", "7.5"): (1, 1),  # the integrated audit counts for Q too
        ("Q", "9.2"): (1, 0),  # only the cancelled audit looked at it
    }


async def test_an_area_with_an_open_nonconformity_is_due_once_more(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan, audits_per_period=2)
    await raise_nc(session, owner_a, plan, "8.5.1")
    coverage = await _coverage(session, plan, row)
    assert coverage[("P", "8.5.1")] == (3, 0)
    assert coverage[("P", "7.5.1")] == (2, 0)
    assert coverage[("Q", "7.5")] == (2, 0)  # the finding is in P's area 8 only


async def test_findings_raised_from_a_line_belong_to_its_audit_alone(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    row = await programme(session, owner_a, plan)
    audit = await plan_audit(session, owner_a, plan, row)
    audit_id = audit.id
    other = await plan_audit(session, owner_a, plan, row, reference="IA-2")
    for each in (audit, other):
        await service.start_audit(session, owner_a, each.id)
    finding = await raise_nc(session, owner_a, plan, "7.5.1")
    line_id = (await _lines(session, audit_id))[0].id
    linked = service.LineFields(result="nonconformity", finding_ids=[finding.id])
    await service.record_checklist_result(session, owner_a, line_id, linked)
    assert [f.reference for f in (await queries.findings_of_audits(session, [audit_id]))[0]] == [
        finding.reference
    ]
    [other_line, *_] = await _lines(session, other.id)
    refusal = await _refused(
        session,
        ErrorCode.CONFLICT,
        service.record_checklist_result(session, owner_a, other_line.id, linked),
    )
    assert refusal.field == ["findingIds"]
    missing = service.LineFields(finding_ids=[uuid.uuid4()])
    await _refused(
        session,
        ErrorCode.NOT_FOUND,
        service.record_checklist_result(session, owner_a, line_id, missing),
    )


async def _catalog_program(owner_engine: AsyncEngine, plan: Plan, code: str) -> uuid.UUID:
    """A program of A on a standard of the real catalog (removed with A's rows)."""
    async with AsyncSession(owner_engine) as db:
        standard = await db.scalar(
            select(Standard.id).where(Standard.code == code, Standard.edition == "2015")
        )
        program_id = uuid.uuid4()
        db.add(
            Program(
                id=program_id, tenant_id=plan.orgs["a"], standard_id=standard, scope_statement="All"
            )
        )
        await db.commit()
    return program_id


async def test_an_integrated_audit_of_iso_9001_covers_iso_14001_through_harmonized_keys(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    """ISO 9001's 7.5.3.1 implements harmonized 7.5.3 (its parent's key), which ISO 14001
    assesses as 7.5.3 itself; 7.5.1 is another harmonized clause and stays due."""
    quality = await _catalog_program(owner_engine, plan, "ISO 9001")
    environment = await _catalog_program(owner_engine, plan, "ISO 14001")
    scope = [ScopePart(quality, ["7.5"]), ScopePart(environment, ["7.5"])]
    row = await programme(session, owner_a, plan, scope=scope)
    audit = await plan_audit(session, owner_a, plan, row, ScopePart(quality, ["7.5.3.1"]))
    audit_id = audit.id
    await service.start_audit(session, owner_a, audit_id)
    [line] = await _lines(session, audit_id)
    await service.record_checklist_result(
        session, owner_a, line.id, service.LineFields(result="conformant")
    )
    audited = {
        ("9001" if item.program_id == quality else "14001", item.clause.number): item.covered
        for item in await queries.coverage(session, row.id)
    }
    assert audited == {
        ("9001", "7.5.1"): False,
        ("9001", "7.5.2"): False,
        ("9001", "7.5.3.1"): True,
        ("9001", "7.5.3.2"): True,
        ("14001", "7.5.1"): False,
        ("14001", "7.5.2"): False,
        ("14001", "7.5.3"): True,
    }
