"""Starting a program: its seven steps, its empty gap analysis, and one active program per
standard and organization."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar

from backend.programs.steps import STEPS
from tests.api.helpers import count_statements
from tests.programs.conftest import Env, MakeStandard, SeededStandard
from tests.programs.helpers import codes, owner_rows, user_gid, uuid_of
from tests.support import global_id

SCOPE = {"scopeStatement": "Design and manufacture of pumps at the Leeds site"}


def start_input(standard: SeededStandard, **extra: Any) -> dict[str, Any]:
    return {**standard.ref(), **SCOPE, "targetDate": "2027-06-30", **extra}


async def test_start_creates_the_seven_steps_and_an_assessment_per_assessable_clause(
    env: Env, standard: SeededStandard
) -> None:
    payload = await env.mutate("startProgram", start_input(standard))
    assert payload["errors"] == []
    program = payload["program"]
    assert program["status"] == "PREPARING"
    assert program["allowedTransitions"] == ["CERTIFICATION_AUDIT", "SUSPENDED", "WITHDRAWN"]
    assert program["standard"] == {"code": "TEST 1", "edition": "2024"}
    assert program["scopeStatement"] == SCOPE["scopeStatement"]
    assert program["targetDate"] == "2027-06-30"
    assert program["organization"] == {"slug": "a-org"}
    assert (program["owner"], program["certificationBody"]) == (None, None)
    steps = program["steps"]
    assert [(s["number"], s["key"], s["title"], s["objective"]) for s in steps] == [
        (d.number, d.key.name, d.title, d.objective) for d in STEPS
    ]
    assert {s["status"] for s in steps} == {"NOT_STARTED"}
    assert steps[0]["checklist"] == [
        {"key": item.key, "text": item.text, "done": False} for item in STEPS[0].checklist
    ]
    assessments = await owner_rows(
        env.owner,
        "SELECT clause_id, status, tenant_id FROM assessments WHERE program_id = :id",
        id=uuid_of(program["id"]),
    )
    assert {row[0] for row in assessments} == standard.assessable
    assert len(assessments) == len(standard.assessable)
    assert {(row[1], row[2]) for row in assessments} == {("not_assessed", env.world.orgs["a"].id)}


async def test_start_by_standard_id_with_an_owner_and_a_certification_body(
    env: Env, standard: SeededStandard
) -> None:
    payload = await env.mutate(
        "startProgram",
        {
            **SCOPE,
            "standardId": standard.gid,
            "targetDate": "2027-01-15",
            "ownerId": user_gid(env.world.users["a_admin"]),
            "certificationBodySlug": " Body-Org ",
        },
    )
    assert payload["errors"] == []
    assert payload["program"]["owner"] == {"email": "a_admin@example.test"}
    assert payload["program"]["certificationBody"] == {"slug": "body-org"}


async def test_assessments_are_inserted_in_one_statement_whatever_the_clause_count(
    env: Env, app: Litestar, make_standard: MakeStandard
) -> None:
    large = await make_standard("TEST LARGE", "2024", extra=60)
    with count_statements(app.state.runtime.engine) as statements:
        payload = await env.mutate("startProgram", start_input(large))
    assert payload["errors"] == []
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ASSESSMENTS")]
    assert len(inserts) == 1
    stored = await owner_rows(
        env.owner,
        "SELECT count(*) FROM assessments WHERE program_id = :id",
        id=uuid_of(payload["program"]["id"]),
    )
    assert stored == [(len(large.assessable),)]
    assert len(large.assessable) == 64


async def test_a_second_active_program_on_the_same_standard_conflicts(
    env: Env, program: dict[str, Any], standard: SeededStandard
) -> None:
    before = await env.snapshot()
    again = await env.mutate("startProgram", start_input(standard))
    assert codes(again) == ["CONFLICT"]
    assert again["program"] is None
    assert await env.snapshot() == before


async def test_other_standards_and_other_organizations_are_not_in_the_way(
    env: Env, make_standard: MakeStandard, program: dict[str, Any], standard: SeededStandard
) -> None:
    other = await make_standard("TEST 2", "2024")
    same_code_new_edition = await make_standard("TEST 1", "2030")
    for started in (other, same_code_new_edition):
        assert (await env.mutate("startProgram", start_input(started)))["errors"] == []
    in_b = await env.mutate(
        "startProgram",
        start_input(standard),
        token=await env.login("b_owner"),
        tenant=env.world.org_gid("b"),
    )
    assert in_b["errors"] == []


async def test_after_withdrawal_a_new_program_can_start(
    env: Env, program: dict[str, Any], standard: SeededStandard
) -> None:
    for status in ("SUSPENDED", "WITHDRAWN"):
        moved = await env.mutate("changeProgramStatus", {"id": program["id"], "status": status})
        assert moved["errors"] == []
    again = await env.mutate("startProgram", start_input(standard))
    assert again["errors"] == []
    assert again["program"]["id"] != program["id"]
    statuses = await owner_rows(env.owner, "SELECT status FROM programs ORDER BY created_at")
    assert statuses == [("withdrawn",), ("preparing",)]


BAD_STARTS: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    # case: (input changes, code, field)
    "owner not a member": ({"ownerId": "b_owner"}, "INVALID", ["ownerId"]),
    "unknown certification body": (
        {"certificationBodySlug": "no-such-body"},
        "NOT_FOUND",
        ["certificationBodySlug"],
    ),
    "a client is no certification body": (
        {"certificationBodySlug": "b-org"},
        "NOT_FOUND",
        ["certificationBodySlug"],
    ),
    "unknown standard": ({"standardEdition": "1999"}, "NOT_FOUND", ["standardCode"]),
    "no standard named": (
        {"standardCode": None, "standardEdition": None},
        "INVALID",
        ["standardId"],
    ),
    "standard id of another type": ({"standardId": "organization"}, "INVALID", ["standardId"]),
    "blank scope": ({"scopeStatement": "   "}, "INVALID", ["scopeStatement"]),
    "scope too long": ({"scopeStatement": "x" * 5001}, "INVALID", ["scopeStatement"]),
}


@pytest.mark.parametrize("case", list(BAD_STARTS))
async def test_bad_starts_are_refused_and_change_nothing(
    env: Env, standard: SeededStandard, case: str
) -> None:
    changes, code, field = BAD_STARTS[case]
    if changes.get("ownerId"):
        changes = {**changes, "ownerId": user_gid(env.world.users[changes["ownerId"]])}
    if changes.get("standardId"):
        changes = {**changes, "standardId": global_id("Organization", env.world.orgs["a"].id)}
    before = await env.snapshot()
    payload = await env.mutate("startProgram", start_input(standard, **changes))
    assert payload["program"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await env.snapshot() == before


async def test_a_program_on_iso_9001_2015_from_the_catalog(env: Env) -> None:
    """The real catalog: one assessment per assessable clause of ISO 9001:2015."""
    payload = await env.mutate(
        "startProgram",
        {
            "standardCode": "ISO 9001",
            "standardEdition": "2015",
            **SCOPE,
            "targetDate": "2027-03-31",
        },
    )
    assert payload["errors"] == []
    assert payload["program"]["standard"] == {"code": "ISO 9001", "edition": "2015"}
    expected = await owner_rows(
        env.owner,
        "SELECT c.id FROM clauses c JOIN standards s ON s.id = c.standard_id"
        " WHERE s.code = 'ISO 9001' AND s.edition = '2015' AND c.assessable",
    )
    created = await owner_rows(
        env.owner,
        "SELECT clause_id FROM assessments WHERE program_id = :id",
        id=uuid_of(payload["program"]["id"]),
    )
    assert len(expected) > 20
    assert sorted(created) == sorted(expected)
