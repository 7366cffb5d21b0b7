"""Management reviews below the API: inputs assembled from data (figures match a hand
count), frozen once held, open actions carried forward, signing locks, and step 6's
management review criterion."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.planning import service as planning
from backend.programs.criteria import evaluate_step
from backend.programs.models import Program, StepKey
from backend.registers import service as registers
from backend.registers.models import EntryKind
from backend.reviews import service
from backend.reviews.criteria import NO_AUDIT
from backend.reviews.models import ManagementReview, ReviewInput
from backend.runtime import Runtime
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.findings.helpers import TODAY, raise_nc
from tests.planning.helpers import Plan, acting
from tests.reviews.helpers import closed_audit, findings_and_objectives, plan_review

ASSEMBLED = (
    "previous_actions",
    "nonconformities",
    "audit_results",
    "objectives",
    "improvement_opportunities",
)
WRITTEN = ("issues", "interested_parties", "resources")
FROM_REGISTERS = ("risks_and_opportunities",)  # every review; P and Q's standards ask for no more


async def _inputs(db: TenantSession, review: ManagementReview) -> dict[str, ReviewInput]:
    found = await db.scalars(
        select(ReviewInput)
        .where(ReviewInput.review_id == review.id)
        .order_by(ReviewInput.position)
        .execution_options(populate_existing=True)
    )
    return {row.kind: row for row in found}


def _figures(row: ReviewInput) -> dict[str, Any]:
    return {figure["label"]: figure["value"] for figure in row.figures}


async def _review_criterion(db: TenantSession, plan: Plan) -> tuple[bool, str]:
    program = await db.get(Program, plan.programs["a"])
    assert program is not None
    results = await evaluate_step(db, program, StepKey.INTERNAL_AUDIT)
    [found] = [r for r in results if r.key == "management-review-held"]
    return found.met, found.reason


async def _fails(code: ErrorCode, call: Awaitable[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def test_inputs_are_assembled_from_the_data_and_count_as_by_hand(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    await closed_audit(session, owner_a, plan)
    await findings_and_objectives(session, owner_a, plan)
    review = await plan_review(session, owner_a, plan)
    review = await service.prepare_review(session, owner_a, review.id)
    inputs = await _inputs(session, review)
    assert list(inputs) == [*ASSEMBLED, *WRITTEN, *FROM_REGISTERS]
    assert _figures(inputs["nonconformities"]) == {
        "Major nonconformities open": 1,
        "Minor nonconformities open": 1,
        "Major nonconformities closed in the period": 0,
        "Minor nonconformities closed in the period": 0,
        "Corrective actions not finished": 0,
    }
    assert [link["type"] for link in inputs["nonconformities"].links] == ["Finding", "Finding"]
    assert _figures(inputs["audit_results"]) == {
        "Audits closed in the period": 1,
        "Requirements audited": 2,
        "Nonconformities found": 1,
        "Observations": 0,
        "Opportunities for improvement": 0,
    }
    assert inputs["audit_results"].links[0]["label"] == f"IA-2026-01 (closed on {TODAY})"
    assert _figures(inputs["objectives"]) == {
        "Achieved": 1,
        "On track": 0,
        "At risk": 1,
        "Open": 0,
        "Past due, not achieved": 0,
    }
    assert _figures(inputs["improvement_opportunities"]) == {
        "Opportunities for improvement open": 1,
        "Observations open": 0,
    }
    assert _figures(inputs["previous_actions"]) == {
        "Still open": 0,
        "Overdue": 0,
        "Finished in the period": 0,
    }
    assert all(inputs[kind].figures == [] for kind in WRITTEN)
    assert _figures(inputs["risks_and_opportunities"]) == {
        "Listed": 0,
        "Assessed": 0,
        "Not yet assessed": 0,
        "Review due": 0,
    }


async def test_the_risk_register_is_an_input_counted_as_by_hand(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = plan.programs["a"]
    for title, likelihood, review_on in (
        ("Supplier fails", 3, TODAY - timedelta(days=1)),
        ("New market", 2, None),
        ("Key person leaves", None, None),
    ):
        await registers.create_entry(
            session,
            owner_a,
            EntryKind.RISK,
            program,
            registers.EntryFields(
                title=title,
                nature="risk",
                likelihood=likelihood,
                impact=None if likelihood is None else 4,
                review_on=review_on,
            ),
        )
    archived = await registers.create_entry(
        session,
        owner_a,
        EntryKind.RISK,
        program,
        registers.EntryFields(title="Gone", nature="risk"),
    )
    await registers.archive_entry(session, owner_a, archived.id)
    review = await plan_review(session, owner_a, plan)
    review = await service.prepare_review(session, owner_a, review.id)
    risks = (await _inputs(session, review))["risks_and_opportunities"]
    assert _figures(risks) == {"Listed": 3, "Assessed": 2, "Not yet assessed": 1, "Review due": 1}
    assert sorted(link["label"].split(" ", 1)[1] for link in risks.links) == [
        "Key person leaves",
        "New market",
        "Supplier fails",
    ]
    assert {link["type"] for link in risks.links} == {"Risk"}


async def test_a_held_review_keeps_what_it_saw_and_signing_locks_it(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    await closed_audit(session, owner_a, plan)
    review = await plan_review(session, owner_a, plan)
    review = await service.prepare_review(session, owner_a, review.id)
    first = (await _inputs(session, review))["nonconformities"]
    await service.record_input(session, owner_a, first.id, "Gauges again: budget a new rig.")
    await raise_nc(session, owner_a, plan, "7.5.1")
    review = await service.hold_review(session, owner_a, review.id)
    held = await _inputs(session, review)
    assert _figures(held["nonconformities"])["Minor nonconformities open"] == 1
    assert held["nonconformities"].notes == "Gauges again: budget a new rig."

    await raise_nc(session, owner_a, plan, "7.5.2")  # after the meeting: not in its inputs
    for call in (
        service.prepare_review(session, owner_a, review.id),
        service.update_review(session, owner_a, review.id, service.ReviewFields(attendees=[])),
    ):
        await _fails(ErrorCode.INVALID, call)
    after = await _inputs(session, review)
    assert _figures(after["nonconformities"])["Minor nonconformities open"] == 1

    output = service.NewOutput(
        kind="resources",
        title="Buy a calibration rig",
        owner_id=plan.users["a_manager"],
        due_date=TODAY + timedelta(days=60),
    )
    _, action = await service.add_output(session, owner_a, review.id, output)
    manager = await acting(session, plan, "a_manager", "a", Role.MANAGER)
    refused = await _fails(ErrorCode.FORBIDDEN, service.sign_review(session, manager, review.id))
    assert "chair" in refused.message
    owner = await acting(session, plan, "a_owner", "a", Role.OWNER)
    review = await service.sign_review(session, owner, review.id)
    assert review.status == "signed"
    late: tuple[Awaitable[Any], ...] = (
        service.record_input(session, owner, held["issues"].id, "Too late."),
        service.add_output(session, owner, review.id, output),
        service.hold_review(session, owner, review.id),
    )
    for attempt in late:
        await _fails(ErrorCode.LOCKED, attempt)
    moved = await planning.update_action(
        session, owner, action.id, planning.ActionFields(status="in_progress")
    )
    assert moved.status == "in_progress"  # the review is locked, its actions keep moving


async def test_open_outputs_are_carried_into_the_next_review_until_finished(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    first = await plan_review(session, owner_a, plan, planned_on=TODAY - timedelta(days=10))
    await service.hold_review(session, owner_a, first.id, TODAY - timedelta(days=10))
    _, action = await service.add_output(
        session,
        owner_a,
        first.id,
        service.NewOutput(
            kind="improvement",
            title="Digitize the gauge register",
            owner_id=plan.users["a_owner"],
            due_date=TODAY - timedelta(days=1),
        ),
    )
    second = await plan_review(
        session, owner_a, plan, title="Review 2027", program_ids=[plan.programs["a"]]
    )
    second = await service.prepare_review(session, owner_a, second.id)
    carried = (await _inputs(session, second))["previous_actions"]
    assert _figures(carried) == {"Still open": 1, "Overdue": 1, "Finished in the period": 0}
    assert carried.links[0]["label"] == (
        "Digitize the gauge register (open, from Management review 2026)"
    )
    await planning.update_action(session, owner_a, action.id, planning.ActionFields(status="done"))
    second = await service.prepare_review(session, owner_a, second.id)
    carried = (await _inputs(session, second))["previous_actions"]
    assert _figures(carried) == {"Still open": 0, "Overdue": 0, "Finished in the period": 1}


async def test_the_criterion_asks_for_a_review_held_since_the_last_audit_closed(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    early = await plan_review(session, owner_a, plan, planned_on=TODAY - timedelta(days=3))
    await service.hold_review(session, owner_a, early.id, TODAY - timedelta(days=3))
    assert await _review_criterion(session, plan) == (False, NO_AUDIT.reason)
    await closed_audit(session, owner_a, plan)
    since = f"internal audit IA-2026-01 closed on {TODAY}"
    assert await _review_criterion(session, plan) == (
        False,
        f"No management review held since {since}.",
    )
    review = await plan_review(session, owner_a, plan, title="After the audit")
    await service.hold_review(session, owner_a, review.id)
    assert await _review_criterion(session, plan) == (
        True,
        f"Management review held on {TODAY}, after {since}.",
    )


async def test_bad_input_is_refused_with_its_field(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"program_ids": []}, "programIds"),
        ({"program_ids": [plan.programs["a"], plan.programs["a"]]}, "programIds"),
        ({"program_ids": [plan.programs["b"]]}, "programId"),
        ({"chair_id": plan.users["b_owner"]}, "chairId"),
        ({"period_start": TODAY + timedelta(days=1)}, "periodStart"),
        ({"attendees": [service.Attendee()]}, "attendees"),
        ({"title": " "}, "title"),
    ]
    for values, field in cases:
        with pytest.raises(ServiceError) as caught:
            await plan_review(session, owner_a, plan, **values)
        await session.rollback()
        assert caught.value.field[0] == field, (values, caught.value)
    review_id = (await plan_review(session, owner_a, plan)).id
    future = service.hold_review(session, owner_a, review_id, TODAY + timedelta(days=1))
    assert (await _fails(ErrorCode.INVALID, future)).field == ["heldOn"]
    await session.rollback()
    not_held = service.add_output(
        session,
        owner_a,
        review_id,
        service.NewOutput("decision", "Go", plan.users["a_owner"], TODAY),
    )
    await _fails(ErrorCode.INVALID, not_held)


async def test_the_criterion_costs_one_statement_whatever_the_reviews(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime
) -> None:
    await closed_audit(session, owner_a, plan)
    await session.connection()  # writes the scope the audit left switched, outside the count
    with count_statements(runtime.engine) as none:
        await _review_criterion(session, plan)
    for number in range(3):
        review = await plan_review(session, owner_a, plan, title=f"Review {number}")
        await service.hold_review(session, owner_a, review.id)
    with count_statements(runtime.engine) as many:
        await _review_criterion(session, plan)
    assert len(none) == len(many)
