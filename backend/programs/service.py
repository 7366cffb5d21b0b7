"""Rules for certification programs and their seven steps; each change is one transaction.

Programs change only in the tenant the caller acts in. Owners, admins, consultants and
managers run a program; contributors may also work on its steps; viewers and auditors only
read. Another tenant's program or step answers exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Insert, Select, cast, func, insert, literal, or_, select
from sqlalchemy.engine import Row as ResultRow

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause, Standard
from backend.catalog.service import standard_by_code
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    for_change,
    require,
    require_acting_in,
    require_writer,
)
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, conflict, invalid, not_found
from backend.db.base import Identified
from backend.db.batch import among, by_id, fields_of
from backend.db.session import TenantSession
from backend.programs.criteria import CriterionResult, evaluate_step
from backend.programs.lifecycle import allowed_transitions
from backend.programs.models import Program, ProgramStatus, ProgramStep, StepKey, StepStatus
from backend.programs.steps import BY_KEY, STEPS
from tenants.models import Membership
from tenants.service import find_certification_body

MAX_SCOPE = 5_000
MAX_NOTES = 20_000


Row = TypeVar("Row", bound=Identified)
MAX_LINKED_REQUIREMENTS = 25  # what one action or training session addresses; reads stay short
# A requirement is named by its clause id or by its number in the program's standard.
RequirementRef = uuid.UUID | str


@dataclass(frozen=True)
class StandardRef:
    """How a caller names a standard: by id, or by code and edition ("ISO 9001", "2015")."""

    id: uuid.UUID | None = None
    code: str | None = None
    edition: str | None = None


# --- access ------------------------------------------------------------------------------


async def _program_for_change(db: TenantSession, actor: Actor, program_id: uuid.UUID) -> Program:
    return await for_change(
        db, actor, Program, program_id, permission=Permission.RUN_PROGRAMS, what="Program"
    )


async def _step_for_change(
    db: TenantSession, actor: Actor, step_id: uuid.UUID
) -> tuple[ProgramStep, Program]:
    step = await for_change(
        db, actor, ProgramStep, step_id, permission=Permission.CONTRIBUTE, what="Step"
    )
    program = await db.get(Program, step.program_id)
    assert program is not None  # noqa: S101 - a step's program is in the same tenant
    return step, program


# --- validation --------------------------------------------------------------------------


def _clean_text(value: str, field: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise invalid("This must not be empty.", [field])
    if len(value) > limit:
        raise invalid(f"At most {limit} characters.", [field])
    return value


async def _find_standard(db: TenantSession, ref: StandardRef) -> Standard:
    if ref.id is not None:
        standard = await db.get(Standard, ref.id)
        field = "standardId"
    elif ref.code and ref.edition:
        standard = await standard_by_code(db, ref.code, ref.edition)
        field = "standardCode"
    else:
        raise invalid("Name the standard by its id, or by its code and edition.", ["standardId"])
    if standard is None:
        raise not_found("Standard", [field])
    return standard


async def owner_member(
    db: TenantSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None, field: str
) -> uuid.UUID | None:
    """`user_id` when it names a member of `tenant_id` (None clears an owner)."""
    if user_id is None:
        return None
    member = await db.scalar(
        select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user_id
        )
    )
    if member is None:
        raise invalid("The owner must be a member of the organization.", [field])
    return user_id


async def readable_program(db: TenantSession, program_id: uuid.UUID) -> Program:
    program = await db.get(Program, program_id)
    if program is None:
        raise not_found("Program", ["programId"])
    return program


async def writable_program(db: TenantSession, actor: Actor, program_id: uuid.UUID) -> Program:
    """A program the actor may add to: readable, in its acting tenant, with a writing role."""
    program = await readable_program(db, program_id)
    require_writer(db, actor, program.tenant_id, "Program")
    return program


async def requirements_of(
    db: TenantSession, program: Program, refs: Sequence[RequirementRef]
) -> list[Clause]:
    """The clauses of the program's standard that `refs` name; unknown names are refused."""
    if len(refs) > MAX_LINKED_REQUIREMENTS:
        raise invalid(f"Name at most {MAX_LINKED_REQUIREMENTS} requirements.", ["requirements"])
    ids = {ref for ref in refs if isinstance(ref, uuid.UUID)}
    numbers = {ref.strip() for ref in refs if isinstance(ref, str)}
    clauses = (
        await db.scalars(
            select(Clause).where(
                Clause.standard_id == program.standard_id,
                or_(Clause.id.in_(ids), Clause.number.in_(numbers)),
            )
        )
    ).all()
    known = {clause.id for clause in clauses} | {clause.number for clause in clauses}
    unknown = [
        str(ref) for ref in refs if (ref.strip() if isinstance(ref, str) else ref) not in known
    ]
    if unknown:
        raise invalid(
            f"Not requirements of this program's standard: {', '.join(unknown)}.",
            ["requirements"],
        )
    return list(clauses)


async def _certification_body_id(db: TenantSession, slug: str | None) -> uuid.UUID | None:
    return None if slug is None else (await find_certification_body(db, slug)).id


# --- programs ----------------------------------------------------------------------------


async def start_program(
    db: TenantSession,
    actor: Actor,
    standard: StandardRef,
    *,
    scope_statement: str,
    target_date: date,
    certification_body_slug: str | None = None,
    owner_id: uuid.UUID | None = None,
) -> Program:
    """Open a program on one standard edition with its seven steps and an empty gap analysis.

    One active program per standard and tenant: the partial unique index decides, so two
    concurrent starts cannot both win.
    """
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.RUN_PROGRAMS)
    found = await _find_standard(db, standard)
    program = Program(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        standard_id=found.id,
        scope_statement=_clean_text(scope_statement, "scopeStatement", MAX_SCOPE, required=True),
        target_date=target_date,
        certification_body_id=await _certification_body_id(db, certification_body_slug),
        owner_id=await owner_member(db, actor.tenant_id, owner_id, "ownerId"),
        status=ProgramStatus.PREPARING.value,
    )
    program.steps = [
        ProgramStep(
            tenant_id=actor.tenant_id,
            number=step.number,
            key=step.key.value,
            status=StepStatus.NOT_STARTED.value,
            notes="",
            checklist={},
        )
        for step in STEPS
    ]
    db.add(program)
    already = conflict(
        "This organization already has an active program for that standard.", ["standardId"]
    )
    async with conflict_on(db, "uq_programs_active_standard", already):
        await db.flush()
    await db.execute(_open_assessments(program))
    await db.commit()
    await db.refresh(program)
    return program


def _open_assessments(program: Program) -> Insert:
    """One not-assessed assessment per assessable clause, in a single INSERT ... SELECT."""
    status = Assessment.__table__.c.status
    rows = select(
        func.gen_random_uuid(),
        literal(program.tenant_id),
        literal(program.id),
        Clause.id,
        cast(literal(Conformity.NOT_ASSESSED.value), status.type),
        literal(""),
        literal(""),
        literal(""),
    ).where(Clause.standard_id == program.standard_id, Clause.assessable)
    columns = (
        "id",
        "tenant_id",
        "program_id",
        "clause_id",
        "status",
        "current_practice",
        "gap_description",
        "justification",
    )
    return insert(Assessment).from_select(columns, rows)


async def update_program(
    db: TenantSession,
    actor: Actor,
    program_id: uuid.UUID,
    *,
    scope_statement: str | None = None,
    target_date: date | None = None,
    owner_id: Change[uuid.UUID | None] = KEEP,
    certification_body_slug: Change[str | None] = KEEP,
) -> Program:
    program = await _program_for_change(db, actor, program_id)
    if scope_statement is not None:
        program.scope_statement = _clean_text(
            scope_statement, "scopeStatement", MAX_SCOPE, required=True
        )
    if target_date is not None:
        program.target_date = target_date
    if owner_id is not KEEP:
        program.owner_id = await owner_member(db, program.tenant_id, owner_id, "ownerId")
    if certification_body_slug is not KEEP:
        program.certification_body_id = await _certification_body_id(db, certification_body_slug)
    await db.commit()
    await db.refresh(program)
    return program


def next_statuses(program: Program) -> tuple[ProgramStatus, ...]:
    """Where `program` may go from its current status (see `programs.lifecycle`)."""
    suspended_from = ProgramStatus(program.suspended_from) if program.suspended_from else None
    return allowed_transitions(ProgramStatus(program.status), suspended_from)


async def change_program_status(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, status: ProgramStatus
) -> Program:
    """Move the program along its lifecycle; a refusal names the states it may move to."""
    program = await _program_for_change(db, actor, program_id)
    allowed = next_statuses(program)
    if status not in allowed:
        current = ProgramStatus(program.status).name
        choices = ", ".join(state.name for state in allowed)
        raise invalid(
            f"A {current} program cannot become {status.name}; it may become: {choices}."
            if allowed
            else f"A {current} program is final; start a new program instead.",
            ["status"],
        )
    program.suspended_from = program.status if status is ProgramStatus.SUSPENDED else None
    program.status = status.value
    await db.commit()
    await db.refresh(program)
    return program


# --- steps -------------------------------------------------------------------------------


def _move_step(step: ProgramStep, status: StepStatus, actor: Actor) -> None:
    """Start, restart or reopen a step; completing goes through `complete_step`."""
    if status is StepStatus.COMPLETED:
        raise invalid(
            "Complete a step with completeStep, which checks its exit criteria.", ["status"]
        )
    if step.status == StepStatus.COMPLETED.value:
        if status is not StepStatus.IN_PROGRESS:
            raise invalid("A completed step can only be reopened as in progress.", ["status"])
        require(actor, Permission.RUN_PROGRAMS)
        step.completed_at = None
    if status is StepStatus.IN_PROGRESS:
        step.started_at = step.started_at or datetime.now(UTC)
    else:
        step.started_at = None
    step.status = status.value


def _ticked(step: ProgramStep, ticks: Mapping[str, bool]) -> dict[str, bool]:
    """The step's checklist with `ticks` applied; only ticked keys are stored."""
    known = [item.key for item in BY_KEY[StepKey(step.key)].checklist]
    unknown = sorted(set(ticks) - set(known))
    if unknown:
        raise invalid(
            f"Unknown checklist item {', '.join(unknown)}; this step has: {', '.join(known)}.",
            ["checklist"],
        )
    merged = {**step.checklist, **ticks}
    return {key: True for key in known if merged.get(key) is True}


async def update_step(
    db: TenantSession,
    actor: Actor,
    step_id: uuid.UUID,
    *,
    status: StepStatus | None = None,
    owner_id: Change[uuid.UUID | None] = KEEP,
    due_date: Change[date | None] = KEEP,
    notes: str | None = None,
    checklist: Mapping[str, bool] | None = None,
) -> ProgramStep:
    """Work on a step. Steps run in parallel: none waits for another."""
    step, program = await _step_for_change(db, actor, step_id)
    if status is not None:
        _move_step(step, status, actor)
    if owner_id is not KEEP:
        step.owner_id = await owner_member(db, program.tenant_id, owner_id, "ownerId")
    if due_date is not KEEP:
        step.due_date = due_date
    if notes is not None:
        step.notes = _clean_text(notes, "notes", MAX_NOTES, required=False)
    if checklist is not None:
        step.checklist = _ticked(step, checklist)
    await db.commit()
    await db.refresh(step)
    return step


def _refusal(step: ProgramStep, unmet: list[CriterionResult]) -> str:
    """'Training cannot be completed yet: 2 exit criteria are unmet. A — why; B — why.'"""
    count = "1 exit criterion is" if len(unmet) == 1 else f"{len(unmet)} exit criteria are"
    listed = "; ".join(
        f"{result.description.rstrip('.')} — {result.reason.rstrip('.')}" for result in unmet
    )
    return f"{BY_KEY[StepKey(step.key)].title} cannot be completed yet: {count} unmet. {listed}."


async def complete_step(db: TenantSession, actor: Actor, step_id: uuid.UUID) -> ProgramStep:
    """Complete a step when every exit criterion is met; otherwise refuse and list the unmet."""
    step, program = await _step_for_change(db, actor, step_id)
    if step.status == StepStatus.COMPLETED.value:
        return step
    unmet = [
        result for result in await evaluate_step(db, program, StepKey(step.key)) if not result.met
    ]
    if unmet:
        raise ServiceError(ErrorCode.CRITERIA_UNMET, _refusal(step, unmet), ["id"])
    now = datetime.now(UTC)
    step.status = StepStatus.COMPLETED.value
    step.started_at = step.started_at or now
    step.completed_at = now
    await db.commit()
    await db.refresh(step)
    return step


# --- reading -----------------------------------------------------------------------------


def programs_statement(
    standard: str | None = None,
    status: ProgramStatus | None = None,
    organization: uuid.UUID | None = None,
) -> Select[Program]:
    """Programs the caller may read; `standard` is a code ("ISO 9001") or code:edition, and
    `organization` narrows a consultant's or auditor's portfolio to one client."""
    statement = select(Program)
    if organization is not None:
        statement = statement.where(Program.tenant_id == organization)
    if standard is not None:
        code, _, edition = standard.strip().partition(":")
        statement = statement.join(Standard, Standard.id == Program.standard_id).where(
            Standard.code == code.strip()
        )
        if edition:
            statement = statement.where(Standard.edition == edition.strip())
    if status is not None:
        statement = statement.where(Program.status == status.value)
    return statement


@dataclass(frozen=True)
class ProgramSummary:
    id: uuid.UUID
    standard: str
    status: str
    steps_completed: int


async def program_summaries(db: TenantSession) -> list[ProgramSummary]:
    """Every readable program with its standard and completed steps, in one statement."""
    completed = func.count(ProgramStep.id).filter(ProgramStep.status == StepStatus.COMPLETED.value)
    rows = await db.execute(
        select(Program.id, Standard.code, Standard.edition, Program.status, completed)
        .join(Standard, Standard.id == Program.standard_id)
        .join(ProgramStep, ProgramStep.program_id == Program.id)
        .group_by(Program.id, Standard.code, Standard.edition)
        .order_by(Standard.code, Program.created_at)
    )
    return [
        ProgramSummary(id, f"{code}:{edition}", status, done)
        for id, code, edition, status, done in rows.tuples()
    ]


# DataLoader batch functions (`loaders.of(...)`): one statement for any number of keys.
programs_by_id = by_id(Program)
steps_by_id = by_id(ProgramStep)


async def steps_of_programs(
    db: TenantSession, program_ids: Sequence[uuid.UUID]
) -> list[list[ResultRow[Any]]]:
    """Each program's steps as rows of their fields (`fields_of`): a consultant's list of
    fifty programs reads 350 of them, and entities were most of that list's ORM work."""
    rows = await db.execute(
        select(*fields_of(ProgramStep))
        .where(among(ProgramStep.program_id, program_ids))
        .order_by(ProgramStep.program_id, ProgramStep.number)
    )
    grouped: dict[uuid.UUID, list[ResultRow[Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.program_id].append(row)
    return [grouped[i] for i in program_ids]
