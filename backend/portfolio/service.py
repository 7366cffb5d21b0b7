"""Requirement assignments: each function is one transaction in the tenant the caller acts in.

Those who run programs (owners, admins, consultants, managers) assign a program's
requirements to a member who may contribute, the person who answers for them; those who run
audits assign lines of an internal audit's checklist to a member who may conduct audits.
Assigning an assigned one hands it over. The assignee then finds them in its work queue,
and its requirements with `assessments(assignedToMe: true)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from backend.audits.models import Audit, AuditStatus, ChecklistLine
from backend.catalog.models import Clause
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    readable,
    require_writer,
    role_may,
)
from backend.core.errors import ErrorCode, ServiceError, conflict, invalid, not_found
from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.portfolio.models import ChecklistLineAssignment, RequirementAssignment
from backend.programs.models import Program
from tenants.models import Membership
from tenants.roles import Role

MAX_REQUIREMENTS = 200  # per call: a whole clause group at once, still a bounded change

LOCKED_AUDITS = (AuditStatus.CLOSED.value, AuditStatus.CANCELLED.value)

assignments_by_id = by_id(RequirementAssignment)
line_assignments_by_id = by_id(ChecklistLineAssignment)


async def assign_requirements(
    db: TenantSession,
    actor: Actor,
    program_id: uuid.UUID,
    clause_ids: Sequence[uuid.UUID],
    assignee_id: uuid.UUID,
) -> list[RequirementAssignment]:
    """Make `assignee_id` answer for the program's requirements `clause_ids`."""
    program = await _program_for_change(db, actor, program_id)
    clauses = await _requirements_of(db, program, clause_ids)
    await _require_member_who_may(db, program.tenant_id, assignee_id, Permission.CONTRIBUTE)
    existing = await _assignments(db, program.id, clauses)
    for clause_id in clauses:
        assignment = existing.get(clause_id) or RequirementAssignment(
            tenant_id=program.tenant_id, program_id=program.id, clause_id=clause_id
        )
        assignment.assignee_id = assignee_id
        assignment.assigned_by_id = actor.user_id
        db.add(assignment)
    async with conflict_on(db, "uq_requirement_assignments_requirement", _assigned_meanwhile()):
        await db.commit()
    found = await _assignments(db, program.id, clauses)
    return [found[clause_id] for clause_id in clauses]


async def unassign_requirements(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, clause_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Nobody answers for these requirements any more; returns those that had someone."""
    program = await _program_for_change(db, actor, program_id)
    clauses = await _requirements_of(db, program, clause_ids)
    existing = await _assignments(db, program.id, clauses)
    for assignment in existing.values():
        await db.delete(assignment)
    await db.commit()
    return [clause_id for clause_id in clauses if clause_id in existing]


def _assigned_meanwhile() -> ServiceError:
    return conflict("Someone assigned these requirements just now; try again.", ["requirementIds"])


async def _program_for_change(db: TenantSession, actor: Actor, program_id: uuid.UUID) -> Program:
    program = await readable(db, Program, program_id, "Program", "programId")
    require_writer(db, actor, program.tenant_id, "Program", Permission.RUN_PROGRAMS)
    return program


async def _requirements_of(
    db: TenantSession, program: Program, clause_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """`clause_ids` once each, in the order given, all assessable requirements of the
    program's standard."""
    unique = list(dict.fromkeys(clause_ids))
    if not 1 <= len(unique) <= MAX_REQUIREMENTS:
        raise invalid(f"Name 1 to {MAX_REQUIREMENTS} requirements.", ["requirementIds"])
    known = set(
        await db.scalars(
            select(Clause.id).where(
                Clause.id.in_(unique), Clause.standard_id == program.standard_id, Clause.assessable
            )
        )
    )
    if len(known) != len(unique):
        raise not_found("Requirement", ["requirementIds"])
    return unique


async def _require_member_who_may(
    db: TenantSession, tenant_id: uuid.UUID, assignee_id: uuid.UUID, permission: Permission
) -> None:
    """The assignee is a member of the organization with a role that may do the work."""
    role = await db.scalar(
        select(Membership.role).where(
            Membership.tenant_id == tenant_id, Membership.user_id == assignee_id
        )
    )
    if role is None:
        raise not_found("Member", ["assigneeId"])
    if not role_may(Role(role), permission):
        raise invalid(
            f"A {role} cannot do this work; give them a role that may first.", ["assigneeId"]
        )


async def _assignments(
    db: TenantSession, program_id: uuid.UUID, clause_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RequirementAssignment]:
    rows = await db.scalars(
        select(RequirementAssignment)
        .where(
            RequirementAssignment.program_id == program_id,
            RequirementAssignment.clause_id.in_(list(clause_ids)),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.clause_id: row for row in rows}


# --- checklist lines -----------------------------------------------------------------------


async def assign_checklist_lines(
    db: TenantSession, actor: Actor, line_ids: Sequence[uuid.UUID], assignee_id: uuid.UUID
) -> list[ChecklistLineAssignment]:
    """Make `assignee_id` work these lines of open internal audits of one organization."""
    lines = await _lines_for_change(db, actor, line_ids)
    await _require_member_who_may(db, actor.tenant_id, assignee_id, Permission.CONDUCT_AUDITS)
    existing = await _line_assignments(db, lines)
    for line_id in lines:
        assignment = existing.get(line_id) or ChecklistLineAssignment(
            tenant_id=actor.tenant_id, line_id=line_id
        )
        assignment.assignee_id = assignee_id
        assignment.assigned_by_id = actor.user_id
        db.add(assignment)
    async with conflict_on(db, "uq_checklist_line_assignments_line", _assigned_meanwhile()):
        await db.commit()
    found = await _line_assignments(db, lines)
    return [found[line_id] for line_id in lines]


async def unassign_checklist_lines(
    db: TenantSession, actor: Actor, line_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Nobody works these lines any more; returns those that had someone."""
    lines = await _lines_for_change(db, actor, line_ids)
    existing = await _line_assignments(db, lines)
    for assignment in existing.values():
        await db.delete(assignment)
    await db.commit()
    return [line_id for line_id in lines if line_id in existing]


async def _lines_for_change(
    db: TenantSession, actor: Actor, line_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """`line_ids` once each, all readable, of the acting organization's audits still open."""
    unique = list(dict.fromkeys(line_ids))
    if not 1 <= len(unique) <= MAX_REQUIREMENTS:
        raise invalid(f"Name 1 to {MAX_REQUIREMENTS} checklist lines.", ["lineIds"])
    rows = (
        await db.execute(
            select(ChecklistLine.id, ChecklistLine.tenant_id, Audit.status)
            .join(Audit, Audit.id == ChecklistLine.audit_id)
            .where(ChecklistLine.id.in_(unique))
        )
    ).all()
    if len(rows) != len(unique):
        raise not_found("ChecklistLine", ["lineIds"])
    for tenant_id in {row.tenant_id for row in rows}:
        require_writer(db, actor, tenant_id, "ChecklistLine", Permission.RUN_AUDITS)
    if any(row.status in LOCKED_AUDITS for row in rows):
        raise ServiceError(
            ErrorCode.LOCKED, "A closed or cancelled audit is kept as it was.", ["lineIds"]
        )
    return unique


async def _line_assignments(
    db: TenantSession, line_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ChecklistLineAssignment]:
    rows = await db.scalars(
        select(ChecklistLineAssignment)
        .where(ChecklistLineAssignment.line_id.in_(list(line_ids)))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.line_id: row for row in rows}
