"""Training rules: sessions of a program, the people in scope of each, and role competences.

Each change is one transaction inside one program of the acting tenant, made by a role that
may write. Rows of tenants the caller cannot read are not found, exactly like ids that never
existed. A session moves from planned to held (never before its date in the tenant's own
calendar) or to cancelled, and nowhere else. Who attended or passed is recorded only for a
held session, so a planned one always counts as "not yet trained".
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from backend.catalog.models import Clause
from backend.core.access import Actor, require_writer
from backend.core.calendar import local_today
from backend.core.changes import KEEP, Change
from backend.core.errors import invalid, not_found
from backend.core.validation import TEXT_LIMIT, choice, require_given, text_field
from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem
from backend.programs.models import Program
from backend.programs.service import (
    RequirementRef,
    readable_program,
    requirements_of,
    writable_program,
)
from backend.training.models import (
    Attendance,
    CompetenceRequirement,
    SessionStatus,
    TrainingSession,
    TrainingSessionClause,
    TrainingType,
)
from tenants.models import Membership, Organization

TOPIC_LIMIT = 300
TRAINER_LIMIT = 200
NAME_LIMIT = 200
JOB_ROLE_LIMIT = 120
MAX_DURATION = 24 * 60  # minutes: a session is booked per day

# Where a session may go from each status; staying put is always allowed.
NEXT_STATUS = {
    SessionStatus.PLANNED: {SessionStatus.HELD, SessionStatus.CANCELLED},
    SessionStatus.HELD: set(),
    SessionStatus.CANCELLED: set(),
}


@dataclass(frozen=True)
class SessionFields:
    """A session's fields; KEEP leaves the stored value."""

    type: Change[str] = KEEP
    topic: Change[str] = KEEP
    held_on: Change[date] = KEEP
    duration_minutes: Change[int] = KEEP
    trainer: Change[str] = KEEP
    status: Change[str] = KEEP
    requirements: Change[Sequence[RequirementRef]] = KEEP  # replaces the whole set


@dataclass(frozen=True)
class Person:
    """Who an attendance row is about: a member (by user id) or a named person, never both."""

    user_id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True)
class AttendanceFields:
    job_role: Change[str] = KEEP
    attended: Change[bool] = KEEP
    passed: Change[bool | None] = KEEP  # None: no pass mark applies
    certificate_evidence_id: Change[uuid.UUID | None] = KEEP


@dataclass(frozen=True)
class CompetenceFields:
    job_role: Change[str] = KEEP
    competence: Change[str] = KEEP


# --- access -------------------------------------------------------------------------------


Row = TypeVar("Row", TrainingSession, Attendance, CompetenceRequirement)


async def _row_for_change(
    db: TenantSession, actor: Actor, model: type[Row], row_id: uuid.UUID, what: str
) -> Row:
    row = await db.get(model, row_id)
    if row is None:
        raise not_found(what, ["id"])
    require_writer(db, actor, row.tenant_id, what)
    return row


# --- sessions -----------------------------------------------------------------------------


async def create_session(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, values: SessionFields
) -> TrainingSession:
    """A session of the program; it starts planned unless it is recorded as already held."""
    program = await writable_program(db, actor, program_id)
    require_given(values, "type", "topic", "held_on", "duration_minutes")
    session = TrainingSession(
        tenant_id=program.tenant_id,
        program_id=program.id,
        trainer="",
        status=SessionStatus.PLANNED.value,
    )
    await _write_session(db, program, session, values)
    return await _save(db, session)


async def update_session(
    db: TenantSession, actor: Actor, session_id: uuid.UUID, values: SessionFields
) -> TrainingSession:
    session = await _row_for_change(db, actor, TrainingSession, session_id, "TrainingSession")
    program = await readable_program(db, session.program_id)
    await _write_session(db, program, session, values)
    return await _save(db, session)


async def _write_session(
    db: TenantSession, program: Program, session: TrainingSession, values: SessionFields
) -> None:
    if values.type is not KEEP:
        session.type = choice(TrainingType, values.type, "type").value
    if values.topic is not KEEP:
        session.topic = text_field(values.topic, "topic", TOPIC_LIMIT)
    if values.held_on is not KEEP:
        session.held_on = values.held_on
    if values.duration_minutes is not KEEP:
        session.duration_minutes = _duration(values.duration_minutes)
    if values.trainer is not KEEP:
        session.trainer = text_field(values.trainer, "trainer", TRAINER_LIMIT, blank=True)
    if values.status is not KEEP:
        _move(session, choice(SessionStatus, values.status, "status"))
    await _refuse_held_in_the_future(db, session)
    db.add(session)
    await _relink(db, program, session, values.requirements)


def _duration(minutes: int) -> int:
    if not 1 <= minutes <= MAX_DURATION:
        raise invalid(f"durationMinutes must be between 1 and {MAX_DURATION}.", ["durationMinutes"])
    return minutes


def _move(session: TrainingSession, status: SessionStatus) -> None:
    current = SessionStatus(session.status)
    if status is not current and status not in NEXT_STATUS[current]:
        raise invalid(f"A {current.value} session cannot become {status.value}.", ["status"])
    session.status = status.value


async def _refuse_held_in_the_future(db: TenantSession, session: TrainingSession) -> None:
    """A session is held on or after its date, where the tenant is (its midnight, not UTC's)."""
    if session.status != SessionStatus.HELD.value:
        return
    timezone = await db.execute(
        select(Organization.timezone).where(Organization.id == session.tenant_id)
    )
    if session.held_on > local_today(timezone.scalar_one()):
        raise invalid("A session dated in the future cannot be held yet.", ["status"])


async def _relink(
    db: TenantSession,
    program: Program,
    session: TrainingSession,
    refs: Change[Sequence[RequirementRef]],
) -> None:
    """Make the session's requirement links exactly the ones `refs` names."""
    if refs is KEEP:
        return
    wanted = {clause.id for clause in await requirements_of(db, program, refs)}
    await db.flush()
    link = TrainingSessionClause
    linked = set(
        (await db.scalars(select(link.clause_id).where(link.session_id == session.id))).all()
    )
    if linked - wanted:
        await db.execute(
            delete(link).where(link.session_id == session.id, link.clause_id.in_(linked - wanted))
        )
    db.add_all(
        link(tenant_id=session.tenant_id, session_id=session.id, clause_id=clause_id)
        for clause_id in wanted - linked
    )


# --- attendance ---------------------------------------------------------------------------


async def record_attendance(
    db: TenantSession,
    actor: Actor,
    session_id: uuid.UUID,
    person: Person,
    values: AttendanceFields,
) -> Attendance:
    """Put one person in scope of a session, or change what is recorded about them."""
    session = await _row_for_change(db, actor, TrainingSession, session_id, "TrainingSession")
    if session.status == SessionStatus.CANCELLED.value:
        raise invalid("A cancelled session has nobody in scope.", ["sessionId"])
    row = await _attendance_of(db, session, await _person(db, session.tenant_id, person))
    await _write_attendance(db, session, row, values)
    return await _save(db, row)


async def _person(db: TenantSession, tenant_id: uuid.UUID, person: Person) -> Person:
    """Exactly one of a member of the organization or a name; anyone else reads as unknown."""
    if (person.user_id is None) == (person.name is None):
        raise invalid("Name either a member (userId) or a person (personName).", ["userId"])
    if person.name is not None:
        return Person(name=text_field(person.name, "personName", NAME_LIMIT))
    member = await db.scalar(
        select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == person.user_id
        )
    )
    if member is None:
        raise invalid("The person must be a member of the organization.", ["userId"])
    return person


async def _attendance_of(db: TenantSession, session: TrainingSession, person: Person) -> Attendance:
    """The person's row in the session; a new, not yet attended one when there is none."""
    found = await db.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id,
            Attendance.user_id.is_not_distinct_from(person.user_id),
            Attendance.person_name.is_not_distinct_from(person.name),
        )
    )
    if found is not None:
        return found
    return Attendance(
        tenant_id=session.tenant_id,
        session_id=session.id,
        user_id=person.user_id,
        person_name=person.name,
        job_role="",
        attended=False,
    )


async def _write_attendance(
    db: TenantSession, session: TrainingSession, row: Attendance, values: AttendanceFields
) -> None:
    if values.job_role is not KEEP:
        row.job_role = text_field(values.job_role, "jobRole", JOB_ROLE_LIMIT, blank=True)
    if row.person_name is not None and not row.job_role:
        raise invalid("A person without an account needs a job role.", ["jobRole"])
    if values.attended is not KEEP:
        row.attended = values.attended
    if values.passed is not KEEP:
        row.passed = values.passed
    if values.certificate_evidence_id is not KEEP:
        row.certificate_evidence_id = await _certificate(
            db, session.tenant_id, values.certificate_evidence_id
        )
    _refuse_results_before_held(session, row)


def _refuse_results_before_held(session: TrainingSession, row: Attendance) -> None:
    """Attending and passing are facts of a held session; a pass needs the person there."""
    if session.status != SessionStatus.HELD.value and (row.attended or row.passed is not None):
        raise invalid("Attendance is recorded once the session is held.", ["attended"])
    if row.passed is not None and not row.attended:
        raise invalid("Only someone who attended can pass or fail.", ["passed"])


async def _certificate(
    db: TenantSession, tenant_id: uuid.UUID, evidence_id: uuid.UUID | None
) -> uuid.UUID | None:
    """An evidence item of the session's own organization that has not been deleted."""
    if evidence_id is None:
        return None
    item = await db.get(EvidenceItem, evidence_id)
    if item is None or item.tenant_id != tenant_id:
        raise not_found("Evidence", ["certificateEvidenceId"])
    if item.deleted_at is not None:
        raise invalid("The evidence item is deleted.", ["certificateEvidenceId"])
    return evidence_id


async def remove_attendance(db: TenantSession, actor: Actor, attendance_id: uuid.UUID) -> uuid.UUID:
    row = await _row_for_change(db, actor, Attendance, attendance_id, "Attendance")
    await db.delete(row)
    await db.commit()
    return attendance_id


# --- competence requirements --------------------------------------------------------------


async def create_competence(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, values: CompetenceFields
) -> CompetenceRequirement:
    """What people in a job role must be able to do for this program."""
    program = await writable_program(db, actor, program_id)
    require_given(values, "job_role", "competence")
    row = CompetenceRequirement(tenant_id=program.tenant_id, program_id=program.id)
    _write_competence(row, values)
    return await _save(db, row)


async def update_competence(
    db: TenantSession, actor: Actor, competence_id: uuid.UUID, values: CompetenceFields
) -> CompetenceRequirement:
    row = await _row_for_change(
        db, actor, CompetenceRequirement, competence_id, "CompetenceRequirement"
    )
    _write_competence(row, values)
    return await _save(db, row)


def _write_competence(row: CompetenceRequirement, values: CompetenceFields) -> None:
    if values.job_role is not KEEP:
        row.job_role = text_field(values.job_role, "jobRole", JOB_ROLE_LIMIT)
    if values.competence is not KEEP:
        row.competence = text_field(values.competence, "competence", TEXT_LIMIT)


async def delete_competence(db: TenantSession, actor: Actor, competence_id: uuid.UUID) -> uuid.UUID:
    row = await _row_for_change(
        db, actor, CompetenceRequirement, competence_id, "CompetenceRequirement"
    )
    await db.delete(row)
    await db.commit()
    return competence_id


# --- persistence --------------------------------------------------------------------------


async def _save(db: TenantSession, row: Row) -> Row:
    db.add(row)
    await db.commit()
    await db.refresh(row)
    return row


# --- reads --------------------------------------------------------------------------------


def sessions_statement(program: Program, status: str | None = None) -> Select[Any]:
    statement = select(TrainingSession).where(TrainingSession.program_id == program.id)
    if status is not None:
        statement = statement.where(TrainingSession.status == status)
    return statement


def competences_statement(program: Program) -> Select[Any]:
    return (
        select(CompetenceRequirement)
        .where(CompetenceRequirement.program_id == program.id)
        .order_by(CompetenceRequirement.job_role, CompetenceRequirement.created_at)
    )


@dataclass(frozen=True)
class Completion:
    """People in scope of sessions not cancelled (a person per session they are in scope of).

    Trained means attended a held session and, where a pass mark applies, passed it; people
    in scope of a planned session are not trained yet.
    """

    in_scope: int = 0
    attended: int = 0
    passed: int = 0
    trained: int = 0

    @property
    def rate(self) -> float | None:
        """The share trained, or None when nobody is in scope."""
        return self.trained / self.in_scope if self.in_scope else None

    def __add__(self, other: Completion) -> Completion:
        return Completion(
            self.in_scope + other.in_scope,
            self.attended + other.attended,
            self.passed + other.passed,
            self.trained + other.trained,
        )


def _tallies(*group: InstrumentedAttribute[Any]) -> Select[Any]:
    """One row per group: in scope, attended, passed and trained, as `Completion` counts."""
    attended = (TrainingSession.status == SessionStatus.HELD.value) & Attendance.attended
    return (
        select(
            *group,
            func.count(),
            func.count().filter(attended),
            func.count().filter(attended & Attendance.passed.is_(True)),
            func.count().filter(attended & Attendance.passed.is_not(False)),
        )
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(TrainingSession.status != SessionStatus.CANCELLED.value)
        .group_by(*group)
    )


@dataclass(frozen=True)
class ProgramCompletion:
    overall: Completion
    by_job_role: dict[str, Completion]  # in job role order; "" for members without one


async def program_completion(db: TenantSession, program: Program) -> ProgramCompletion:
    rows = await db.execute(
        _tallies(Attendance.job_role)
        .where(TrainingSession.program_id == program.id)
        .order_by(Attendance.job_role)
    )
    by_role = {row[0]: Completion(*row[1:]) for row in rows}
    return ProgramCompletion(sum(by_role.values(), Completion()), by_role)


# --- batch loads (one statement per batch, for the request's DataLoaders) -----------------


sessions_by_id = by_id(TrainingSession)
attendance_by_id = by_id(Attendance)
competences_by_id = by_id(CompetenceRequirement)


async def completion_of_sessions(
    db: TenantSession, session_ids: Sequence[uuid.UUID]
) -> list[Completion]:
    rows = await db.execute(
        _tallies(Attendance.session_id).where(Attendance.session_id.in_(session_ids))
    )
    found = {row[0]: Completion(*row[1:]) for row in rows}
    return [found.get(i, Completion()) for i in session_ids]


async def attendance_of_sessions(
    db: TenantSession, session_ids: Sequence[uuid.UUID]
) -> list[list[Attendance]]:
    """Each session's people in scope, in the order they were added."""
    rows = await db.scalars(
        select(Attendance)
        .where(Attendance.session_id.in_(session_ids))
        .order_by(Attendance.created_at, Attendance.id)
    )
    by_session: dict[uuid.UUID, list[Attendance]] = defaultdict(list)
    for row in rows:
        by_session[row.session_id].append(row)
    return [by_session[i] for i in session_ids]


async def requirements_of_sessions(
    db: TenantSession, session_ids: Sequence[uuid.UUID]
) -> list[list[Clause]]:
    """Each session's linked requirements, in the standard's order."""
    rows = await db.execute(
        select(TrainingSessionClause.session_id, Clause)
        .join(Clause, Clause.id == TrainingSessionClause.clause_id)
        .where(TrainingSessionClause.session_id.in_(session_ids))
        .order_by(Clause.position)
    )
    by_session: dict[uuid.UUID, list[Clause]] = defaultdict(list)
    for session_id, clause in rows:
        by_session[session_id].append(clause)
    return [by_session[i] for i in session_ids]
