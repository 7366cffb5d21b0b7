"""Training over GraphQL: the round trip, who may change what, and what a list costs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from litestar import Litestar
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.session import TenantSession
from backend.runtime import Runtime
from backend.training.models import (
    Attendance,
    CompetenceRequirement,
    TrainingSession,
    TrainingSessionClause,
)
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.planning.graphql_helpers import read
from tests.planning.helpers import Plan, acting
from tests.support import Client, global_id, gql, login
from tests.tenants.helpers import random_gid
from tests.training.helpers import training_rows

ERRORS = "errors { field code message }"
SESSION = (
    "id type topic heldOn durationMinutes trainer status requirements { number }"
    " attendance { personName jobRole attended passed certificateEvidenceId member { name } }"
    " completion { inScope attended passed rate }"
)
COMPETENCE = "id jobRole competence"
RESULTS = {
    "createTrainingSession": f"trainingSession {{ {SESSION} }}",
    "updateTrainingSession": f"trainingSession {{ {SESSION} }}",
    "recordAttendance": "attendance { id personName attended }",
    "removeAttendance": "removedAttendanceId",
    "createCompetenceRequirement": f"competenceRequirement {{ {COMPETENCE} }}",
    "updateCompetenceRequirement": f"competenceRequirement {{ {COMPETENCE} }}",
    "deleteCompetenceRequirement": "deletedCompetenceRequirementId",
}
SESSIONS = f"""
query($programId: ID!, $status: TrainingSessionStatus, $first: Int) {{
  trainingSessions(programId: $programId, status: $status, first: $first) {{
    totalCount edges {{ node {{ {SESSION} }} }}
  }}
}}
"""
COMPLETION = """
query($programId: ID!) {
  trainingCompletion(programId: $programId) {
    overall { jobRole inScope attended passed rate }
    byJobRole { jobRole inScope attended passed rate }
  }
}
"""
COMPETENCES = (
    f"query($programId: ID!) {{ competenceRequirements(programId: $programId) {{ {COMPETENCE} }} }}"
)


def document(name: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {RESULTS[name]} {ERRORS} }} }}"
    )


async def call(client: Client, name: str, input: dict[str, Any], token: str, tenant: str) -> Any:
    body = await gql(client, document(name), {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"][name]


async def succeed(client: Client, name: str, input: dict[str, Any], token: str, tenant: str) -> Any:
    payload = await call(client, name, input, token, tenant)
    assert payload["errors"] == [], payload
    return payload


def session_input(program: str, **overrides: Any) -> dict[str, Any]:
    return {
        "programId": program,
        "type": "WORKSHOP",
        "topic": "Safety induction",
        "heldOn": "2026-01-15",
        "durationMinutes": 90,
        **overrides,
    }


@pytest.fixture
async def seeded(client: Client, plan: Plan) -> dict[str, str]:
    """A held session of A's program with one named person, and a competence: global ids."""
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a")
    made = await succeed(
        client,
        "createTrainingSession",
        session_input(program, status="HELD", requirements=["4.2"]),
        token,
        tenant,
    )
    session = made["trainingSession"]["id"]
    person = {"sessionId": session, "personName": "Ann", "jobRole": "operator"}
    attendance = await succeed(client, "recordAttendance", person, token, tenant)
    competence = await succeed(
        client,
        "createCompetenceRequirement",
        {"programId": program, "jobRole": "operator", "competence": "Stops the line safely"},
        token,
        tenant,
    )
    return {
        "session": session,
        "attendance": attendance["attendance"]["id"],
        "competence": competence["competenceRequirement"]["id"],
    }


def requests(plan: Plan, program: str, ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A valid input for every mutation, aimed at `program` and the rows named by `ids`."""
    return {
        "createTrainingSession": session_input(program),
        "updateTrainingSession": {"id": ids["session"], "topic": "Changed"},
        "recordAttendance": {"sessionId": ids["session"], "personName": "Bo", "jobRole": "x"},
        "removeAttendance": {"id": ids["attendance"]},
        "createCompetenceRequirement": {"programId": program, "jobRole": "x", "competence": "y"},
        "updateCompetenceRequirement": {"id": ids["competence"], "competence": "z"},
        "deleteCompetenceRequirement": {"id": ids["competence"]},
    }


def random_ids() -> dict[str, str]:
    return {
        "session": random_gid("TrainingSession"),
        "attendance": random_gid("Attendance"),
        "competence": random_gid("CompetenceRequirement"),
    }


# --- the round trip -----------------------------------------------------------------------


async def test_sessions_attendance_and_completion_read_back(
    client: Client, plan: Plan, seeded: dict[str, str]
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    member = {
        "sessionId": seeded["session"],
        "userId": plan.user_gid("a_contributor"),
        "attended": True,
        "passed": True,
    }
    await succeed(client, "recordAttendance", member, token, tenant)
    data = await read(client, SESSIONS, token, tenant, programId=plan.program_gid("a"))
    [node] = [edge["node"] for edge in data["trainingSessions"]["edges"]]
    assert (node["status"], node["requirements"]) == ("HELD", [{"number": "4.2"}])
    assert [(a["personName"], a["member"], a["attended"]) for a in node["attendance"]] == [
        ("Ann", None, False),
        (None, {"name": "A Contributor"}, True),
    ]
    assert node["completion"] == {"inScope": 2, "attended": 1, "passed": 1, "rate": 0.5}
    completion = await read(client, COMPLETION, token, tenant, programId=plan.program_gid("a"))
    assert completion["trainingCompletion"]["byJobRole"] == [
        {"jobRole": "", "inScope": 1, "attended": 1, "passed": 1, "rate": 1.0},
        {"jobRole": "operator", "inScope": 1, "attended": 0, "passed": 0, "rate": 0.0},
    ]
    assert completion["trainingCompletion"]["overall"]["rate"] == 0.5


async def test_unknown_requirements_and_foreign_members_are_named(
    client: Client, plan: Plan, seeded: dict[str, str]
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a")
    bad = await call(
        client, "createTrainingSession", session_input(program, requirements=["9.9"]), token, tenant
    )
    assert [(e["code"], e["message"]) for e in bad["errors"]] == [
        ("INVALID", "Not requirements of this program's standard: 9.9.")
    ]
    stranger = {"sessionId": seeded["session"], "userId": plan.user_gid("b_owner")}
    refused = await call(client, "recordAttendance", stranger, token, tenant)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", ["userId"])]


# --- who may change what ------------------------------------------------------------------


@pytest.mark.parametrize("user", ["a_owner", "a_admin", "consultant", "a_manager", "a_contributor"])
async def test_every_writing_role_records_training(
    client: Client, plan: Plan, seeded: dict[str, str], user: str
) -> None:
    token, tenant = await login(client, user), plan.org_gid("a")
    for name, input in requests(plan, plan.program_gid("a"), seeded).items():
        await succeed(client, name, input, token, tenant)


@pytest.mark.parametrize("user", ["a_viewer", "auditor"])
async def test_readers_read_and_every_write_is_refused(
    client: Client, plan: Plan, seeded: dict[str, str], owner_engine: AsyncEngine, user: str
) -> None:
    token, tenant = await login(client, user), plan.org_gid("a")
    program = plan.program_gid("a")
    data = await read(client, SESSIONS, token, tenant, programId=program)
    assert data["trainingSessions"]["totalCount"] == 1
    competences = await read(client, COMPETENCES, token, tenant, programId=program)
    assert len(competences["competenceRequirements"]) == 1
    before = await training_rows(owner_engine)
    for name, input in requests(plan, program, seeded).items():
        payload = await call(client, name, input, token, tenant)
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
    assert await training_rows(owner_engine) == before


async def test_another_tenants_ids_answer_like_random_ids(
    client: Client, plan: Plan, seeded: dict[str, str], owner_engine: AsyncEngine
) -> None:
    token, tenant = await login(client, "b_owner"), plan.org_gid("b")
    before = await training_rows(owner_engine)
    theirs = requests(plan, plan.program_gid("a"), seeded)
    unknown = requests(plan, random_gid("Program"), random_ids())
    for name, input in theirs.items():
        foreign = await call(client, name, input, token, tenant)
        nothing = await call(client, name, unknown[name], token, tenant)
        assert foreign["errors"] == nothing["errors"], name
        assert foreign["errors"][0]["code"] == "NOT_FOUND", name
    assert await training_rows(owner_engine) == before
    for query in (SESSIONS, COMPLETION, COMPETENCES):
        foreign_read = await gql(client, query, {"programId": plan.program_gid("a")}, token=token)
        random_read = await gql(client, query, {"programId": random_gid("Program")}, token=token)
        assert foreign_read == random_read
        assert foreign_read["errors"][0]["message"] == "Program not found."


async def test_a_certificate_of_another_tenant_answers_like_a_random_one(
    client: Client, plan: Plan, certificates: dict[str, Any]
) -> None:
    token, tenant = await login(client, "b_owner"), plan.org_gid("b")
    made = await succeed(
        client,
        "createTrainingSession",
        session_input(plan.program_gid("b"), status="HELD"),
        token,
        tenant,
    )
    person = {"sessionId": made["trainingSession"]["id"], "personName": "Bo", "jobRole": "x"}
    foreign = {**person, "certificateEvidenceId": global_id("EvidenceItem", certificates["a"])}
    own = {**person, "certificateEvidenceId": global_id("EvidenceItem", certificates["b"])}
    refused = await call(client, "recordAttendance", foreign, token, tenant)
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    accepted = await succeed(client, "recordAttendance", own, token, tenant)
    assert accepted["attendance"]["personName"] == "Bo"


# --- below GraphQL: the database refuses a reader's writes -------------------------------


@pytest.fixture
async def auditor_session(
    runtime: Runtime, plan: Plan, seeded: dict[str, str]
) -> AsyncIterator[TenantSession]:
    async with runtime.sessions() as db:
        await acting(db, plan, "auditor", "a", Role.AUDITOR)
        yield db


TrainingModel = (
    type[TrainingSession]
    | type[TrainingSessionClause]
    | type[Attendance]
    | type[CompetenceRequirement]
)


@pytest.mark.parametrize(
    "model", [TrainingSession, TrainingSessionClause, Attendance, CompetenceRequirement]
)
async def test_a_reader_sees_rows_but_cannot_change_them(
    auditor_session: TenantSession, owner_engine: AsyncEngine, model: TrainingModel
) -> None:
    before = await training_rows(owner_engine)
    assert len((await auditor_session.scalars(select(model.id))).all()) == 1
    for statement in (update(model).values(tenant_id=model.tenant_id), delete(model)):
        result = await auditor_session.execute(
            statement.execution_options(synchronize_session=False)
        )
        assert cast(CursorResult[Any], result).rowcount == 0
    await auditor_session.commit()
    assert await training_rows(owner_engine) == before


async def test_a_reader_cannot_insert_training(auditor_session: TenantSession, plan: Plan) -> None:
    auditor_session.add(
        CompetenceRequirement(
            tenant_id=plan.orgs["a"], program_id=plan.programs["a"], job_role="x", competence="y"
        )
    )
    with pytest.raises(DBAPIError, match="new row violates row-level security policy"):
        await auditor_session.flush()
    await auditor_session.rollback()


# --- cost ---------------------------------------------------------------------------------


async def test_the_session_list_costs_the_same_for_2_and_6_sessions(
    client: Client, plan: Plan, app: Litestar
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    program = plan.program_gid("a")

    async def add_sessions(count: int) -> None:
        for index in range(count):
            made = await succeed(
                client,
                "createTrainingSession",
                session_input(program, status="HELD", requirements=["4.2", "5.1"]),
                token,
                tenant,
            )
            session = made["trainingSession"]["id"]
            for who in ("a_owner", "a_contributor"):
                person = {"sessionId": session, "userId": plan.user_gid(who), "attended": True}
                await succeed(client, "recordAttendance", person, token, tenant)
            named = {"sessionId": session, "personName": f"P{index}", "jobRole": "operator"}
            await succeed(client, "recordAttendance", named, token, tenant)

    async def statements() -> tuple[int, int]:
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, SESSIONS, token, tenant, programId=program, first=50)
        return len(sent), data["trainingSessions"]["totalCount"]

    await add_sessions(2)
    await statements()  # warm up: connection set-up is not the query's cost
    with_two, listed = await statements()
    assert listed == 2
    await add_sessions(4)
    with_six, listed = await statements()
    assert listed == 6
    assert 0 < with_two == with_six
