"""Working on the seven steps: status, owner, dates, notes, checklist, and exit-criteria gating."""

from __future__ import annotations

from typing import Any

import pytest

from backend.programs.criteria import Verdict
from backend.programs.models import StepKey
from tests.programs.conftest import Env, StepCriteria
from tests.programs.helpers import STEP_CRITERIA, add_person, codes, step_of, user_gid


async def update(
    env: Env, step: dict[str, Any], token: str | None = None, **changes: Any
) -> dict[str, Any]:
    return await env.mutate("updateStep", {"id": step["id"], **changes}, token=token)


async def complete(env: Env, step: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    return await env.mutate("completeStep", {"id": step["id"]}, token=token)


async def criteria_of(env: Env, step: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = (await env.read(STEP_CRITERIA, id=step["id"]))["node"]
    return shown


async def test_starting_a_step_stamps_it_and_sets_owner_due_date_notes_and_ticks(
    env: Env, program: dict[str, Any]
) -> None:
    payload = await update(
        env,
        step_of(program, "GAP_ANALYSIS"),
        status="IN_PROGRESS",
        ownerId=user_gid(env.world.users["a_admin"]),
        dueDate="2027-02-01",
        notes="  Interview the process owners first.  ",
        checklist=[{"key": "identify-gaps", "done": True}],
    )
    assert payload["errors"] == []
    updated = payload["step"]
    assert updated["status"] == "IN_PROGRESS"
    assert updated["startedAt"] is not None
    assert updated["completedAt"] is None
    assert updated["owner"] == {"email": "a_admin@example.test"}
    assert updated["dueDate"] == "2027-02-01"
    assert updated["notes"] == "Interview the process owners first."
    assert [(item["key"], item["done"]) for item in updated["checklist"]] == [
        ("document-procedures", False),
        ("identify-gaps", True),
        ("prioritize", False),
    ]


async def test_omitted_fields_keep_their_values_and_null_clears_them(
    env: Env, program: dict[str, Any]
) -> None:
    step = step_of(program, "PLANNING")
    owner = user_gid(env.world.users["a_admin"])
    first = await update(env, step, status="IN_PROGRESS", ownerId=owner, dueDate="2027-03-01")
    started_at = first["step"]["startedAt"]
    kept = (await update(env, step, checklist=[{"key": "set-objectives", "done": True}]))["step"]
    assert (kept["owner"], kept["dueDate"], kept["startedAt"]) == (
        {"email": "a_admin@example.test"},
        "2027-03-01",
        started_at,
    )
    untick = [{"key": "set-objectives", "done": False}, {"key": "set-timelines", "done": True}]
    cleared = (await update(env, step, ownerId=None, dueDate=None, checklist=untick))["step"]
    assert (cleared["owner"], cleared["dueDate"]) == (None, None)
    assert [item["key"] for item in cleared["checklist"] if item["done"]] == ["set-timelines"]
    back = (await update(env, step, status="NOT_STARTED"))["step"]
    assert (back["status"], back["startedAt"]) == ("NOT_STARTED", None)


BAD_UPDATES: dict[str, tuple[dict[str, Any], str, list[str], str]] = {
    # case: (changes, code, field, part of the message)
    "unknown checklist key": (
        {"checklist": [{"key": "identify-gaps", "done": True}, {"key": "bribe", "done": True}]},
        "INVALID",
        ["checklist"],
        "Unknown checklist item bribe; this step has: document-procedures, identify-gaps,"
        " prioritize.",
    ),
    "owner from another organization": (
        {"ownerId": "b_owner"},
        "INVALID",
        ["ownerId"],
        "must be a member",
    ),
    "completed through updateStep": (
        {"status": "COMPLETED"},
        "INVALID",
        ["status"],
        "completeStep",
    ),
    "notes too long": ({"notes": "x" * 20_001}, "INVALID", ["notes"], "At most"),
}


@pytest.mark.parametrize("case", list(BAD_UPDATES))
async def test_bad_step_updates_are_refused_and_change_nothing(
    env: Env, program: dict[str, Any], case: str
) -> None:
    changes, code, field, message = BAD_UPDATES[case]
    if "ownerId" in changes:
        changes = {"ownerId": user_gid(env.world.users[changes["ownerId"]])}
    before = await env.snapshot()
    payload = await update(env, step_of(program, "GAP_ANALYSIS"), **{"notes": "n", **changes})
    assert payload["step"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert message in payload["errors"][0]["message"]
    assert await env.snapshot() == before


async def test_completion_is_refused_with_every_unmet_criterion_and_changes_nothing(
    env: Env, program: dict[str, Any], registry: StepCriteria
) -> None:
    registry(StepKey.TRAINING, "attendance", lambda: Verdict(False, "3 people missed it."))
    registry(StepKey.TRAINING, "records", lambda: Verdict(True, "All records kept."))
    registry(StepKey.TRAINING, "competence", lambda: Verdict(False, "No assessment yet."))
    step = step_of(program, "TRAINING")
    await update(env, step, status="IN_PROGRESS")
    before = await env.snapshot()
    refused = await complete(env, step)
    assert refused["step"] is None
    assert refused["errors"] == [
        {
            "field": ["id"],
            "code": "CRITERIA_UNMET",
            "message": "Training cannot be completed yet: 2 exit criteria are unmet."
            " Test criterion attendance — 3 people missed it;"
            " Test criterion competence — No assessment yet.",
        }
    ]
    assert await env.snapshot() == before
    shown = await criteria_of(env, step)
    assert shown["canComplete"] is False
    assert [(c["key"], c["met"], c["reason"]) for c in shown["criteria"]] == [
        ("attendance", False, "3 people missed it."),
        ("records", True, "All records kept."),
        ("competence", False, "No assessment yet."),
    ]


async def test_a_step_completes_once_its_criteria_are_met(
    env: Env, program: dict[str, Any], registry: StepCriteria
) -> None:
    state = {"met": False}
    registry(
        StepKey.DOCUMENTATION,
        "approved",
        lambda: Verdict(state["met"], "Approved." if state["met"] else "Awaiting approval."),
    )
    step = step_of(program, "DOCUMENTATION")
    assert codes(await complete(env, step)) == ["CRITERIA_UNMET"]
    state["met"] = True
    assert (await criteria_of(env, step))["canComplete"] is True
    done = await complete(env, step)
    assert done["errors"] == []
    completed = done["step"]
    assert completed["status"] == "COMPLETED"
    assert completed["completedAt"] is not None
    assert completed["startedAt"] == completed["completedAt"]  # never started explicitly
    assert completed["canComplete"] is False
    assert completed["criteria"] == [{"key": "approved", "met": True, "reason": "Approved."}]
    again = await complete(env, step)
    assert again["errors"] == []
    assert again["step"]["completedAt"] == completed["completedAt"]


async def test_steps_run_in_parallel_in_any_order(
    env: Env, program: dict[str, Any], registry: StepCriteria
) -> None:
    for key in ("CERTIFICATION_AUDIT", "GAP_ANALYSIS", "INTERNAL_AUDIT"):
        assert (await update(env, step_of(program, key), status="IN_PROGRESS"))["errors"] == []
    assert (await complete(env, step_of(program, "CERTIFICATION_AUDIT")))["errors"] == []
    shown = await env.read(
        "query($id: ID!) { program(id: $id) { steps { key status } } }", id=program["id"]
    )
    statuses = {step["key"]: step["status"] for step in shown["program"]["steps"]}
    assert statuses == {
        "GAP_ANALYSIS": "IN_PROGRESS",
        "PLANNING": "NOT_STARTED",
        "TRAINING": "NOT_STARTED",
        "DOCUMENTATION": "NOT_STARTED",
        "IMPLEMENTATION": "NOT_STARTED",
        "INTERNAL_AUDIT": "IN_PROGRESS",
        "CERTIFICATION_AUDIT": "COMPLETED",
    }


async def test_managers_reopen_completed_steps_and_contributors_cannot(
    env: Env, program: dict[str, Any], registry: StepCriteria
) -> None:
    await add_person(env.owner, env.world.orgs["a"].id, "a_manager", "manager")
    await add_person(env.owner, env.world.orgs["a"].id, "a_contributor", "contributor")
    step = step_of(program, "IMPLEMENTATION")
    assert (await complete(env, step))["errors"] == []
    contributor = await env.login("a_contributor")
    refused = await update(env, step, contributor, status="IN_PROGRESS")
    assert codes(refused) == ["FORBIDDEN"]
    manager = await env.login("a_manager")
    assert codes(await update(env, step, manager, status="NOT_STARTED")) == ["INVALID"]
    reopened = await update(env, step, manager, status="IN_PROGRESS")
    assert reopened["errors"] == []
    assert (reopened["step"]["status"], reopened["step"]["completedAt"]) == ("IN_PROGRESS", None)
    assert reopened["step"]["startedAt"] is not None


async def test_the_gap_analysis_waits_for_every_requirement_to_be_assessed(
    env: Env, program: dict[str, Any]
) -> None:
    """The real gap-analysis criteria, registered by the assessments feature, gate step 1."""
    refused = await complete(env, step_of(program, "GAP_ANALYSIS"))
    assert codes(refused) == ["CRITERIA_UNMET"]
    message = refused["errors"][0]["message"]
    assert message.startswith("Gap analysis cannot be completed yet:")
    assert "4 requirements are not assessed yet: 4.1, 4.2, 5.1, 5.2" in message
