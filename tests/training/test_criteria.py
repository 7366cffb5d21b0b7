"""The training step's exit criteria: every planned session held, everyone in scope attended."""

from __future__ import annotations

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.programs.criteria import criteria_of, evaluate_step
from backend.programs.models import StepKey
from backend.programs.service import readable_program
from backend.training import service
from backend.training.criteria import every_planned_session_held, everyone_in_scope_attended
from backend.training.service import SessionFields
from tests.api.helpers import count_statements
from tests.planning.helpers import Plan
from tests.support import judge
from tests.training.helpers import named, new_session


async def test_both_criteria_judge_the_training_step(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    assert [c.key for c in criteria_of(StepKey.TRAINING)] == [
        "every-planned-session-held",
        "everyone-in-scope-attended",
    ]
    program = await readable_program(session, plan.programs["a"])
    results = await evaluate_step(session, program, StepKey.TRAINING)
    assert [(r.met, r.reason) for r in results] == [
        (False, "No training session is recorded yet."),
        (False, "Nobody is recorded in scope of a held session yet."),
    ]


async def test_sessions_still_planned_are_named(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = await readable_program(session, plan.programs["a"])
    cancelled = await new_session(session, owner_a, plan, topic="Dropped")
    await service.update_session(session, owner_a, cancelled.id, SessionFields(status="cancelled"))
    verdict = await judge(every_planned_session_held, session, program)
    assert (verdict.met, verdict.reason) == (False, "No training session is recorded yet.")

    for number in range(7):
        await new_session(session, owner_a, plan, topic=f"Topic {number}")
    with count_statements() as sent:
        verdict = await judge(every_planned_session_held, session, program)
    assert len(sent) == 1
    assert (verdict.met, verdict.reason) == (
        False,
        "7 sessions are still planned: Topic 0, Topic 1, Topic 2, Topic 3, Topic 4 and 2 more.",
    )


async def test_all_held_meets_the_first_criterion(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = await readable_program(session, plan.programs["a"])
    only = await new_session(session, owner_a, plan, topic="Only")
    verdict = await judge(every_planned_session_held, session, program)
    assert verdict.reason == "1 session is still planned: Only."
    await service.update_session(session, owner_a, only.id, SessionFields(status="held"))
    verdict = await judge(every_planned_session_held, session, program)
    assert (verdict.met, verdict.reason) == (True, "The one session has been held.")


async def test_everyone_in_scope_of_held_sessions_attended(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = await readable_program(session, plan.programs["a"])
    held = (await new_session(session, owner_a, plan, topic="Fire drill", status="held")).id
    planned = (await new_session(session, owner_a, plan, topic="Later")).id
    await named(session, owner_a, planned, "Zed")  # planned sessions are the other criterion's
    await named(session, owner_a, held, "Ann", attended=True)
    await named(session, owner_a, held, "Bob")
    with count_statements() as sent:
        verdict = await judge(everyone_in_scope_attended, session, program)
    assert len(sent) == 1
    assert (verdict.met, verdict.reason) == (False, "1 of 2 did not attend: Bob (Fire drill).")

    await named(session, owner_a, held, "Bob", attended=True)
    verdict = await judge(everyone_in_scope_attended, session, program)
    assert (verdict.met, verdict.reason) == (True, "All 2 people in scope attended.")
