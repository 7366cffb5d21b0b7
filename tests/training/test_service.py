"""Training rules below the API: validation, the held date, attendance, completion rates."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.core.calendar import local_today
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.programs.service import readable_program
from backend.training import service
from backend.training.service import (
    AttendanceFields,
    CompetenceFields,
    Completion,
    Person,
    SessionFields,
)
from tests.planning.helpers import Plan
from tests.tenants.helpers import owner_execute
from tests.training.helpers import FUTURE, named, new_session, session_fields, training_rows


async def refused(call: Awaitable[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value


# --- sessions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topic": "  "}, "topic"),
        ({"topic": "x" * 301}, "topic"),
        ({"duration_minutes": 0}, "durationMinutes"),
        ({"duration_minutes": 1441}, "durationMinutes"),
        ({"type": "lecture"}, "type"),
        ({"trainer": "x" * 201}, "trainer"),
        ({"status": "held", "held_on": FUTURE}, "status"),
    ],
)
async def test_invalid_sessions_are_refused_and_nothing_is_stored(
    session: TenantSession,
    owner_a: Actor,
    plan: Plan,
    *,
    owner_engine: AsyncEngine,
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await training_rows(owner_engine)
    error = await refused(new_session(session, owner_a, plan, **overrides))
    await session.rollback()
    assert (error.code, error.field) == (ErrorCode.INVALID, [field])
    assert await training_rows(owner_engine) == before


async def test_a_session_links_requirements_and_names_unknown_ones(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    created = await new_session(
        session, owner_a, plan, requirements=["7.1", plan.clauses[("X", "4.2")]]
    )
    assert created.status == "planned"
    [links] = await service.requirements_of_sessions(session, [created.id])
    assert [clause.number for clause in links] == ["4.2", "7.1"]

    error = await refused(
        service.update_session(
            session, owner_a, created.id, session_fields(requirements=["7.1", "9.9", "Y.1"])
        )
    )
    assert error.code is ErrorCode.INVALID
    assert error.message == "Not requirements of this program's standard: 9.9, Y.1."


async def test_a_session_needs_its_fields(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    error = await refused(
        service.create_session(session, owner_a, plan.programs["a"], service.SessionFields())
    )
    assert error.message == "Required: type, topic, heldOn, durationMinutes."


async def test_held_follows_the_tenants_calendar(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    """Today at UTC+14 is tomorrow at UTC-11: the same date is held in one, future in the other."""
    today_east = local_today("Pacific/Kiritimati")
    session_id = (await new_session(session, owner_a, plan, held_on=today_east)).id
    for zone, allowed in (("Pacific/Pago_Pago", False), ("Pacific/Kiritimati", True)):
        await owner_execute(
            owner_engine,
            "UPDATE organizations SET timezone = :zone WHERE id = :id",
            zone=zone,
            id=plan.orgs["a"],
        )
        session.expire_all()
        change = service.update_session(session, owner_a, session_id, SessionFields(status="held"))
        if allowed:
            assert (await change).status == "held"
        else:
            error = await refused(change)
            await session.rollback()
            assert error.message == "A session dated in the future cannot be held yet."


@pytest.mark.parametrize(
    ("first", "then"), [("held", "planned"), ("cancelled", "held"), ("held", "cancelled")]
)
async def test_status_moves_only_from_planned(
    session: TenantSession, owner_a: Actor, plan: Plan, first: str, then: str
) -> None:
    created = await new_session(session, owner_a, plan, status=first)
    error = await refused(
        service.update_session(session, owner_a, created.id, session_fields(status=then))
    )
    assert error.message == f"A {first} session cannot become {then}."


async def test_a_held_session_cannot_be_moved_into_the_future(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    created = await new_session(session, owner_a, plan, status="held")
    error = await refused(
        service.update_session(session, owner_a, created.id, session_fields(held_on=FUTURE))
    )
    assert error.field == ["status"]


# --- attendance ---------------------------------------------------------------------------


async def test_members_of_the_organization_and_named_people_are_in_scope(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    created = await new_session(session, owner_a, plan, status="held")
    member = await service.record_attendance(
        session,
        owner_a,
        created.id,
        Person(user_id=plan.users["a_contributor"]),
        AttendanceFields(attended=True),
    )
    assert (member.user_id, member.job_role, member.attended) == (
        plan.users["a_contributor"],
        "",
        True,
    )
    first = await named(session, owner_a, created.id, " Grace ")
    again = await named(session, owner_a, created.id, "Grace", attended=True, passed=True)
    assert again.id == first.id
    assert (again.person_name, again.job_role, again.attended, again.passed) == (
        "Grace",
        "operator",
        True,
        True,
    )
    [rows] = await service.attendance_of_sessions(session, [created.id])
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("person", "values", "field"),
    [
        (Person(), {}, "userId"),
        (Person(user_id=uuid.uuid4(), name="Both"), {}, "userId"),
        (Person(name="Nobody"), {}, "jobRole"),
        (Person(name="Ann"), {"job_role": "welder", "passed": True}, "passed"),
    ],
)
async def test_attendance_needs_one_person_a_role_and_coherent_results(
    session: TenantSession,
    owner_a: Actor,
    plan: Plan,
    *,
    person: Person,
    values: dict[str, Any],
    field: str,
) -> None:
    created = await new_session(session, owner_a, plan, status="held")
    error = await refused(
        service.record_attendance(session, owner_a, created.id, person, AttendanceFields(**values))
    )
    assert (error.code, error.field) == (ErrorCode.INVALID, [field])


async def test_a_member_of_another_tenant_cannot_be_in_scope(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    created = await new_session(session, owner_a, plan)
    error = await refused(
        service.record_attendance(
            session, owner_a, created.id, Person(user_id=plan.users["b_owner"]), AttendanceFields()
        )
    )
    assert (error.code, error.field) == (ErrorCode.INVALID, ["userId"])
    assert error.message == "The person must be a member of the organization."


async def test_results_wait_for_the_session_and_cancelled_ones_take_nobody(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    planned = (await new_session(session, owner_a, plan)).id
    error = await refused(named(session, owner_a, planned, "Ann", attended=True))
    assert error.message == "Attendance is recorded once the session is held."
    await session.rollback()
    await named(session, owner_a, planned, "Ann")  # in scope, not yet trained
    cancelled = await new_session(session, owner_a, plan, status="cancelled")
    error = await refused(named(session, owner_a, cancelled.id, "Ann"))
    assert error.message == "A cancelled session has nobody in scope."


async def test_a_certificate_is_live_evidence_of_the_same_tenant(
    session: TenantSession, owner_a: Actor, plan: Plan, certificates: dict[str, uuid.UUID]
) -> None:
    created = (await new_session(session, owner_a, plan, status="held")).id
    row = await named(
        session, owner_a, created, "Ann", attended=True, certificate_evidence_id=certificates["a"]
    )
    assert row.certificate_evidence_id == certificates["a"]
    for name, code in (("b", ErrorCode.NOT_FOUND), ("deleted", ErrorCode.INVALID)):
        error = await refused(
            named(session, owner_a, created, "Ann", certificate_evidence_id=certificates[name])
        )
        await session.rollback()
        assert (error.code, error.field) == (code, ["certificateEvidenceId"]), name
    cleared = await named(session, owner_a, created, "Ann", certificate_evidence_id=None)
    assert cleared.certificate_evidence_id is None


async def test_removing_attendance(session: TenantSession, owner_a: Actor, plan: Plan) -> None:
    created = await new_session(session, owner_a, plan)
    row = await named(session, owner_a, created.id, "Ann")
    assert await service.remove_attendance(session, owner_a, row.id) == row.id
    assert await service.attendance_of_sessions(session, [created.id]) == [[]]
    error = await refused(service.remove_attendance(session, owner_a, row.id))
    assert error.code is ErrorCode.NOT_FOUND


# --- competences --------------------------------------------------------------------------


async def test_competence_requirements_per_role(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = plan.programs["a"]
    welder = await service.create_competence(
        session, owner_a, program, CompetenceFields(job_role="welder", competence="Reads WPS")
    )
    await service.create_competence(
        session, owner_a, program, CompetenceFields(job_role="auditor", competence="Samples")
    )
    changed = await service.update_competence(
        session, owner_a, welder.id, CompetenceFields(competence="Reads and follows WPS")
    )
    assert (changed.job_role, changed.competence) == ("welder", "Reads and follows WPS")
    error = await refused(
        service.update_competence(session, owner_a, welder.id, CompetenceFields(job_role=" "))
    )
    assert error.field == ["jobRole"]
    await session.rollback()
    program_row = await readable_program(session, program)
    listed = await session.scalars(service.competences_statement(program_row))
    assert [row.job_role for row in listed] == ["auditor", "welder"]
    assert await service.delete_competence(session, owner_a, welder.id) == welder.id
    listed = await session.scalars(service.competences_statement(program_row))
    assert [row.job_role for row in listed] == ["auditor"]


# --- completion ---------------------------------------------------------------------------


async def test_completion_per_program_and_role(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    held = await new_session(session, owner_a, plan, status="held")
    await named(session, owner_a, held.id, "Ann", attended=True)  # no pass mark: trained
    await named(session, owner_a, held.id, "Bob", attended=True, passed=False)
    await named(session, owner_a, held.id, "Cy", attended=True, passed=True)
    await named(session, owner_a, held.id, "Di", job_role="welder")  # absent
    planned = await new_session(session, owner_a, plan)
    await named(session, owner_a, planned.id, "Eve", job_role="welder")  # not yet trained
    cancelled = await new_session(session, owner_a, plan)
    await named(session, owner_a, cancelled.id, "Fay")
    await service.update_session(session, owner_a, cancelled.id, session_fields(status="cancelled"))

    program = await readable_program(session, plan.programs["a"])
    completion = await service.program_completion(session, program)
    assert completion.by_job_role == {
        "operator": Completion(in_scope=3, attended=3, passed=1, trained=2),
        "welder": Completion(in_scope=2, attended=0, passed=0, trained=0),
    }
    assert completion.overall == Completion(in_scope=5, attended=3, passed=1, trained=2)
    assert completion.overall.rate == pytest.approx(0.4)
    per_session = await service.completion_of_sessions(session, [held.id, planned.id, cancelled.id])
    assert [(c.in_scope, c.trained) for c in per_session] == [(4, 2), (1, 0), (0, 0)]
    assert Completion().rate is None
