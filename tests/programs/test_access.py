"""Who may read and change programs: roles in the organization, other tenants, auditors.

A principal never learns whether another tenant's program exists: every query and mutation
answers a foreign id exactly like a random one, and refused changes leave the data as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.programs.models import Program, ProgramStep
from backend.runtime import Runtime
from tenants.models import ConsultancyEngagement
from tenants.scope import TenantScope
from tests.programs.conftest import Env, MakeStandard, SeededStandard
from tests.programs.helpers import NODE, PROGRAM, PROGRAMS, add_person, codes, step_of, uuid_of
from tests.support import global_id
from tests.tenants.helpers import random_gid, tenant_tables

Inputs = Callable[[str, str], dict[str, Any]]
# Each mutation aimed at a program id and a step id.
AIMED: dict[str, Inputs] = {
    "updateProgram": lambda program, _step: {"id": program, "scopeStatement": "Everything"},
    "changeProgramStatus": lambda program, _step: {"id": program, "status": "SUSPENDED"},
    "updateStep": lambda _program, step: {"id": step, "status": "IN_PROGRESS", "notes": "x"},
    "completeStep": lambda _program, step: {"id": step},
}


def start_input(standard: SeededStandard) -> dict[str, Any]:
    return {**standard.ref(), "scopeStatement": "All of it", "targetDate": "2027-09-01"}


def aimed_at(program: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every targeted mutation's input, aimed at `program` and its planning step."""
    step = step_of(program, "PLANNING")["id"]
    return {name: make(program["id"], step) for name, make in AIMED.items()}


async def ids_of(env: Env, token: str, tenant: str = "", **filters: Any) -> list[str]:
    listed = await env.read(PROGRAMS, token=token, tenant=tenant, **filters)
    connection = listed["programs"]
    found = [edge["node"]["id"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)  # the count leaks nothing the list hides
    return found


@pytest.fixture
async def b_program(env: Env, standard: SeededStandard) -> dict[str, Any]:
    payload = await env.mutate(
        "startProgram",
        start_input(standard),
        token=await env.login("b_owner"),
        tenant=env.world.org_gid("b"),
    )
    assert payload["errors"] == []
    started: dict[str, Any] = payload["program"]
    return started


async def test_a_consultant_narrows_the_portfolio_to_one_client(
    env: Env, program: dict[str, Any], b_program: dict[str, Any]
) -> None:
    async with AsyncSession(env.owner) as db, db.begin():
        db.add(
            ConsultancyEngagement(
                tenant_id=env.world.orgs["b"].id, consultancy_id=env.world.orgs["consultancy"].id
            )
        )
    token = await env.login("consultant")
    world = env.world
    assert sorted(await ids_of(env, token)) == sorted([program["id"], b_program["id"]])
    assert await ids_of(env, token, organization=world.org_gid("a")) == [program["id"]]
    assert await ids_of(env, token, organization=world.org_gid("b")) == [b_program["id"]]
    # An organization the principal may not read narrows to nothing; it is not an error.
    owner = await env.login("a_owner")
    assert await ids_of(env, owner, organization=world.org_gid("b")) == []
    wrong = await env.client.post(
        "/graphql",
        json={"query": PROGRAMS, "variables": {"organization": program["id"]}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert wrong.json()["errors"][0]["message"] == "Expected the id of an Organization."


# --- roles in the organization ------------------------------------------------------------


@pytest.mark.parametrize("user", ["a_viewer", "auditor"])
async def test_read_only_principals_read_programs_but_change_nothing(
    env: Env, make_standard: MakeStandard, program: dict[str, Any], user: str
) -> None:
    token = await env.login(user)
    shown = await env.read(PROGRAM, token=token, id=program["id"])
    assert shown["program"]["id"] == program["id"]
    assert len(shown["program"]["steps"]) == 7
    assert await ids_of(env, token) == [program["id"]]
    other = await make_standard("TEST 2", "2024")
    before = await env.snapshot()
    attempts = {"startProgram": start_input(other), **aimed_at(program)}
    for name, input in attempts.items():
        payload = await env.mutate(name, input, token=token)
        # A row the principal can read is not hidden from it: the refusal says why.
        assert codes(payload) == ["FORBIDDEN"], (name, payload)
    assert await env.snapshot() == before


async def test_contributors_work_on_steps_but_do_not_run_the_program(
    env: Env,
    make_standard: MakeStandard,
    program: dict[str, Any],
    registry: Callable[..., None],
) -> None:
    await add_person(env.owner, env.world.orgs["a"].id, "a_contributor", "contributor")
    token = await env.login("a_contributor")
    inputs = aimed_at(program)
    assert (await env.mutate("updateStep", inputs["updateStep"], token=token))["errors"] == []
    completed = await env.mutate("completeStep", inputs["completeStep"], token=token)
    assert completed["step"]["status"] == "COMPLETED"
    other = await make_standard("TEST 2", "2024")
    before = await env.snapshot()
    refused = {
        "startProgram": start_input(other),
        "updateProgram": inputs["updateProgram"],
        "changeProgramStatus": inputs["changeProgramStatus"],
    }
    for name, input in refused.items():
        payload = await env.mutate(name, input, token=token)
        assert codes(payload) == ["FORBIDDEN"], (name, payload)
    assert await env.snapshot() == before


@pytest.mark.parametrize("user", ["consultant", "a_manager", "a_admin"])
async def test_consultants_managers_and_admins_run_programs(
    env: Env, standard: SeededStandard, user: str
) -> None:
    if user == "a_manager":
        await add_person(env.owner, env.world.orgs["a"].id, user, "manager")
    token = await env.login(user)
    started = await env.mutate("startProgram", start_input(standard), token=token)
    assert started["errors"] == []
    assert started["program"]["organization"] == {"slug": "a-org"}
    program_id = started["program"]["id"]
    changed = await env.mutate(
        "updateProgram",
        {"id": program_id, "targetDate": "2028-01-31", "certificationBodySlug": "body-org"},
        token=token,
    )
    assert changed["errors"] == []
    assert changed["program"]["targetDate"] == "2028-01-31"
    assert changed["program"]["certificationBody"] == {"slug": "body-org"}
    kept = await env.mutate(
        "updateProgram", {"id": program_id, "scopeStatement": "HQ"}, token=token
    )
    assert kept["program"]["certificationBody"] == {"slug": "body-org"}
    cleared = await env.mutate(
        "updateProgram", {"id": program_id, "certificationBodySlug": None}, token=token
    )
    assert (cleared["program"]["scopeStatement"], cleared["program"]["certificationBody"]) == (
        "HQ",
        None,
    )
    moved = await env.mutate(
        "changeProgramStatus", {"id": program_id, "status": "CERTIFICATION_AUDIT"}, token=token
    )
    assert moved["program"]["status"] == "CERTIFICATION_AUDIT"


async def test_a_consultant_acting_in_its_consultancy_cannot_change_a_clients_program(
    env: Env, program: dict[str, Any]
) -> None:
    token = await env.login("consultant")
    before = await env.snapshot()
    for name, input in aimed_at(program).items():
        payload = await env.mutate(
            name, input, token=token, tenant=env.world.org_gid("consultancy")
        )
        assert codes(payload) in (["FORBIDDEN"], ["NOT_FOUND"]), (name, payload)
    assert await env.snapshot() == before


# --- other tenants ------------------------------------------------------------------------


async def test_another_tenants_program_reads_like_a_random_id(
    env: Env, program: dict[str, Any], b_program: dict[str, Any]
) -> None:
    ours = await env.read(PROGRAM, id=program["id"])
    assert ours["program"]["id"] == program["id"]
    foreign_ids = (b_program["id"], step_of(b_program, "PLANNING")["id"])
    random_ids = (random_gid("Program"), random_gid("ProgramStep"))
    for foreign, random in zip(foreign_ids, random_ids, strict=True):
        for document in (PROGRAM, NODE):
            theirs = await env.read(document, id=foreign)
            missing = await env.read(document, id=random)
            assert theirs == missing
            assert next(iter(theirs.values())) is None
    assert await ids_of(env, env.token) == [program["id"]]


@pytest.mark.parametrize("name", list(AIMED))
async def test_mutations_on_another_tenants_ids_are_not_found_like_random_ids(
    env: Env, b_program: dict[str, Any], name: str
) -> None:
    before = await env.snapshot()
    make = AIMED[name]
    foreign = await env.mutate(name, make(b_program["id"], step_of(b_program, "PLANNING")["id"]))
    missing = await env.mutate(name, make(random_gid("Program"), random_gid("ProgramStep")))
    assert codes(foreign) == ["NOT_FOUND"]
    assert foreign == missing
    assert await env.snapshot() == before


async def test_the_node_query_resolves_programs_and_steps_you_may_read(
    env: Env, program: dict[str, Any]
) -> None:
    step = step_of(program, "INTERNAL_AUDIT")
    for node_id, type_name in ((program["id"], "Program"), (step["id"], "ProgramStep")):
        found = await env.read(NODE, id=node_id)
        assert found == {"node": {"__typename": type_name, "id": node_id}}
    wrong_type = global_id("ProgramStep", uuid_of(step["id"]))
    assert await env.read(PROGRAM, id=wrong_type) == {"program": None}


async def test_a_consultant_lists_its_clients_programs_filtered(
    env: Env,
    make_standard: MakeStandard,
    program: dict[str, Any],
    b_program: dict[str, Any],
) -> None:
    other = await make_standard("TEST 2", "2024")
    second = (await env.mutate("startProgram", start_input(other)))["program"]["id"]
    token = await env.login("consultant")
    assert await ids_of(env, token) == [program["id"], second]  # never B's
    assert await ids_of(env, token, standard="TEST 2") == [second]
    assert await ids_of(env, token, standard="TEST 1:2024") == [program["id"]]
    assert await ids_of(env, token, standard="TEST 1:1999") == []
    assert await ids_of(env, token, standard="TEST 2", status="PREPARING") == [second]
    assert await ids_of(env, token, status="CERTIFIED") == []


# --- below GraphQL ------------------------------------------------------------------------


async def test_the_database_refuses_an_auditors_writes(
    env: Env, runtime: Runtime, program: dict[str, Any]
) -> None:
    """With the auditor's scope (read A, write nowhere) updates touch nothing, inserts fail."""
    a = env.world.orgs["a"].id
    program_id = uuid_of(program["id"])
    before = await env.snapshot()
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(env.world.users["auditor"].id, frozenset({a}), None))
        assert await db.scalar(select(Program.id).where(Program.id == program_id)) == program_id
        for model in (Program, ProgramStep):
            result = await db.execute(
                update(model)
                .where(model.tenant_id == a)
                .values(updated_at=model.created_at)
                .execution_options(synchronize_session=False)
            )
            assert cast(CursorResult[Any], result).rowcount == 0
        db.add(
            ProgramStep(
                id=uuid.uuid4(),
                tenant_id=a,
                program_id=program_id,
                number=8,
                key="planning",
                status="not_started",
                notes="",
                checklist={},
            )
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            await db.flush()
        await db.rollback()
    assert await env.snapshot() == before


async def test_program_tables_are_under_the_rls_catalog_check(env: Env) -> None:
    """The catalog-driven RLS tests cover every table with a tenant_id; these must be among them."""
    async with env.owner.connect() as connection:
        tables = set(await tenant_tables(connection))
    assert {"programs", "program_steps", "assessments"} <= tables
