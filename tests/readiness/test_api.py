"""Readiness over GraphQL: a program's score with its breakdown, blockers and forecast; its
history; the overview of every program the caller reads, at a cost that does not grow with
the number of programs; and what other tenants and bad arguments get."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from strawberry import relay

from backend.readiness import service
from backend.runtime import Runtime
from tests.api.helpers import count_statements, messages, post
from tests.readiness.helpers import STANDARDS, start
from tests.support import Client, World, gql, login

READINESS = """
fragment R on Readiness {
  program { id } score level computedAt
  breakdown { component score weight note }
  groups { clause score }
  blockers(first: 5) { message kind objectId points caps }
  forecast { optimistic likely pessimistic reason }
}
query($id: ID!) { readiness(programId: $id) { ...R } }
"""
OVERVIEW = READINESS.split("query", maxsplit=1)[0] + "query { readinessOverview { ...R } }"
HISTORY = """
query($id: ID!, $from: Date!, $to: Date!) {
  readinessHistory(programId: $id, from: $from, to: $to) {
    score level computedAt breakdown { component score } groups { clause score }
  }
}
"""


async def test_a_new_program_is_not_started_and_says_what_to_do(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    program_id = await start(client, world, token, "ISO 9001", "2015")
    body = await gql(client, READINESS, {"id": program_id}, token=token)
    readiness: dict[str, Any] = body["data"]["readiness"]
    assert readiness["level"] == "NOT_STARTED"
    assert 0 <= readiness["score"] < 60
    audits = next(c for c in readiness["breakdown"] if c["component"] == "AUDITS")
    assert audits["score"] == 0  # nothing audited yet, and that counts
    assert audits["weight"] > 0
    assert sum(c["weight"] for c in readiness["breakdown"]) == pytest.approx(1)
    top = readiness["blockers"][0]  # a whole component outweighs one clause
    assert top["message"] in ("No action planned yet", "No training session recorded yet")
    assert top["kind"] == "program"
    assert top["objectId"] == program_id
    assert readiness["forecast"]["likely"] is None
    assert "Too few" in readiness["forecast"]["reason"]


async def test_the_overview_costs_the_same_for_one_and_for_many_programs(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    await start(client, world, token, *STANDARDS[0])
    await post(client, OVERVIEW, token=token)  # warm caches
    with count_statements() as one:
        single = await post(client, OVERVIEW, token=token)
    for standard in STANDARDS[1:]:
        await start(client, world, token, *standard)
    with count_statements() as many:
        several = await post(client, OVERVIEW, token=token)
    assert messages(single) == messages(several) == []
    assert len(single.json()["data"]["readinessOverview"]) == 1
    assert len(several.json()["data"]["readinessOverview"]) == len(STANDARDS)
    assert len(one) == len(many), f"{len(one)} statements for 1 program, {len(many)} for 3"


async def test_a_consultant_and_an_auditor_see_the_client_and_others_see_nothing(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    program_id = await start(client, world, token, *STANDARDS[0])
    for user in ("consultant", "auditor"):
        seen = await gql(client, OVERVIEW, token=await login(client, user))
        assert [r["program"]["id"] for r in seen["data"]["readinessOverview"]] == [program_id]
    stranger = await login(client, "b_owner")
    assert (await gql(client, OVERVIEW, token=stranger))["data"]["readinessOverview"] == []
    hidden = await post(client, READINESS, {"id": program_id}, token=stranger)
    assert messages(hidden) == ["Program not found."]


async def test_snapshots_make_a_history_and_a_forecast(
    client: Client, world: World, runtime: Runtime
) -> None:
    token = await login(client, "a_owner")
    program_id = await start(client, world, token, *STANDARDS[0])
    program = uuid.UUID(_node_id(program_id))
    now = datetime.now(UTC)
    async with runtime.acting_in(world.orgs["a"].id) as db:
        for weeks in (3, 2, 1):
            [snapshot] = await service.recompute(db, [program], now - timedelta(weeks=weeks))
        await db.commit()
    assert snapshot.breakdown["components"][0]["component"] == "conformity"
    dates = {"from": (now - timedelta(days=30)).date().isoformat(), "to": now.date().isoformat()}
    body = await gql(client, HISTORY, {"id": program_id, **dates}, token=token)
    series = body["data"]["readinessHistory"]
    assert len(series) == 3
    assert [s["computedAt"] for s in series] == sorted(s["computedAt"] for s in series)
    forecast = (await gql(client, READINESS, {"id": program_id}, token=token))["data"]
    assert "flat" in forecast["readiness"]["forecast"]["reason"]  # nothing changed meanwhile


async def test_bad_arguments_get_clear_errors(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    program_id = await start(client, world, token, *STANDARDS[0])
    backwards = {"id": program_id, "from": "2026-12-06", "to": "2026-11-01"}
    assert messages(await post(client, HISTORY, backwards, token=token)) == [
        "from must not be after to."
    ]
    wrong = await post(client, READINESS, {"id": world.org_gid("a")}, token=token)
    assert messages(wrong) == ["Expected the id of a Program."]
    too_many = "query { readinessOverview(first: 5000) { score } }"
    assert messages(await post(client, too_many, token=token)) == ["first must be from 1 to 200."]


def _node_id(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


async def test_recompute_in_another_tenant_finds_nothing_to_score(
    client: Client, world: World, runtime: Runtime
) -> None:
    token = await login(client, "a_owner")
    program = uuid.UUID(_node_id(await start(client, world, token, *STANDARDS[0])))
    async with runtime.acting_in(world.orgs["b"].id) as db:
        assert await service.recompute(db, [program]) == []
    async with runtime.acting_in(world.orgs["a"].id) as db:
        assert [s.program_id for s in await service.recompute(db, [program])] == [program]


SET_WEIGHTS = """
mutation($input: SetReadinessWeightsInput!) {
  setReadinessWeights(input: $input) {
    readiness { breakdown { component weight } }
    errors { field code message }
  }
}
"""


def _weights(program_id: str, *pairs: tuple[str, float]) -> dict[str, Any]:
    weights = [{"component": c, "weight": w} for c, w in pairs]
    return {"input": {"programId": program_id, "weights": weights}}


async def test_an_owner_sets_the_weights_of_a_standard(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    tenant = world.org_gid("a")
    program_id = await start(client, world, token, *STANDARDS[0])
    others = ("EVIDENCE", "DOCUMENTS", "TRAINING", "PLAN", "FINDINGS", "STEPS", "AUDITS")
    only = [(c, 0.0) for c in others]
    variables = _weights(program_id, ("CONFORMITY", 5), *only)
    body = await gql(client, SET_WEIGHTS, variables, token=token, tenant=tenant)
    answer = body["data"]["setReadinessWeights"]
    assert answer["errors"] == []
    shares = {c["component"]: c["weight"] for c in answer["readiness"]["breakdown"]}
    assert shares["CONFORMITY"] == 1
    reset = await gql(client, SET_WEIGHTS, _weights(program_id), token=token, tenant=tenant)
    breakdown = reset["data"]["setReadinessWeights"]["readiness"]["breakdown"]
    assert {c["component"]: c["weight"] for c in breakdown}["CONFORMITY"] < 1


async def test_bad_weights_and_readers_are_refused(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    tenant = world.org_gid("a")
    program_id = await start(client, world, token, *STANDARDS[0])
    cases = {
        "The weight of plan must be a number from 0 to 1000.": _weights(program_id, ("PLAN", -1)),
        "Name each component at most once.": _weights(program_id, ("PLAN", 1), ("PLAN", 2)),
        "At least one weight must be above 0.": _weights(program_id, ("PLAN", 0)),
    }
    for message, variables in cases.items():
        body = await gql(client, SET_WEIGHTS, variables, token=token, tenant=tenant)
        errors = body["data"]["setReadinessWeights"]["errors"]
        assert [(e["code"], e["message"]) for e in errors] == [("INVALID", message)]
    viewer = await login(client, "a_viewer")
    body = await gql(client, SET_WEIGHTS, _weights(program_id, ("PLAN", 1)), token=viewer)
    assert body["data"]["setReadinessWeights"]["errors"][0]["code"] == "FORBIDDEN"


async def test_a_history_at_the_ends_of_the_calendar_is_an_answer(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    program_id = await start(client, world, token, *STANDARDS[0])
    last = {"id": program_id, "from": "9999-12-01", "to": "9999-12-31"}
    assert (await gql(client, HISTORY, last, token=token))["data"]["readinessHistory"] == []
    first = {"id": program_id, "from": "0001-01-01", "to": "0001-01-31"}
    assert (await gql(client, HISTORY, first, token=token))["data"]["readinessHistory"] == []
