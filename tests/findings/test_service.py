"""Findings below the API: the gap analysis they update, the order of a nonconformity's
answer, references, similar nonconformities and attached evidence."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.assessments.models import Assessment, AssessmentChange
from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.findings import queries, service
from backend.findings.models import Finding
from backend.findings.service import (
    FindingFields,
    Implementation,
    NewCorrectiveAction,
    Review,
)
from backend.planning.models import Action
from tenants.roles import Role
from tests.findings.helpers import (
    TODAY,
    add_evidence,
    assessment_status,
    days_ago,
    nonconformity,
    on,
    raise_nc,
)
from tests.planning.helpers import Plan, acting

# --- the gap analysis ---------------------------------------------------------------------


async def _history(db: TenantSession, plan: Plan, number: str) -> list[AssessmentChange]:
    rows = await db.scalars(
        select(AssessmentChange)
        .join(Assessment, Assessment.id == AssessmentChange.assessment_id)
        .where(
            Assessment.program_id == plan.programs["a"],
            Assessment.clause_id == plan.clauses[("P", number)],
        )
    )
    return list(rows)


async def test_a_minor_nonconformity_makes_a_conformant_requirement_partial_on_record(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan, "7.5.1")
    assert await assessment_status(session, plan, "a", "7.5.1") == "partial"
    [change] = await _history(session, plan, "7.5.1")
    assert (change.before["status"], change.after["status"]) == ("conformant", "partial")
    assert change.after["source"] == "finding"
    assert (change.after["finding_id"], change.after["reference"]) == (
        str(finding.id),
        finding.reference,
    )
    assert change.changed_by_id == owner_a.user_id
    assert change.after["gap_description"].startswith(f"{finding.reference}: Calibration")


async def test_a_major_nonconformity_makes_partial_and_conformant_nonconformant(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    await raise_nc(session, owner_a, plan, "7.5.1", "7.5.2", major=True)
    assert await assessment_status(session, plan, "a", "7.5.1") == "nonconformant"
    assert await assessment_status(session, plan, "a", "7.5.2") == "nonconformant"
    [change] = await _history(session, plan, "7.5.2")
    assert change.after["gap_description"] == "Records are incomplete."  # the assessor's own


async def test_judgements_a_finding_does_not_make_are_left_alone(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    """A minor NC on a partial requirement, any NC on not-assessed or not-applicable ones,
    and observations change nothing, and write no history."""
    await raise_nc(session, owner_a, plan, "7.5.2", "9.2", "10.2")
    await service.raise_finding(
        session,
        owner_a,
        "self_identified",
        nonconformity(plan, "8.5.1", type="observation", objective_evidence=""),
    )
    for number, status in (
        ("7.5.2", "partial"),
        ("9.2", "not_assessed"),
        ("10.2", "not_applicable"),
        ("8.5.1", "conformant"),
    ):
        assert await assessment_status(session, plan, "a", number) == status
        assert await _history(session, plan, number) == []


async def test_raising_a_grade_later_flips_again_on_record(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan, "7.5.1")
    await service.update_finding(
        session, owner_a, finding.id, FindingFields(type="major_nonconformity")
    )
    assert await assessment_status(session, plan, "a", "7.5.1") == "nonconformant"
    statuses = [
        (c.before["status"], c.after["status"]) for c in await _history(session, plan, "7.5.1")
    ]
    assert sorted(statuses) == [("conformant", "partial"), ("partial", "nonconformant")]


async def test_requirements_must_be_assessed_leaves_of_writable_programs(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    with pytest.raises(ServiceError) as grouping:
        await raise_nc(session, owner_a, plan, "7.5")
    assert "7.5 is divided into sub-clauses" in grouping.value.message
    with pytest.raises(ServiceError) as other_tenant:
        await raise_nc(session, owner_a, plan, requirements=on(plan, "b", "7.5.1"))
    assert other_tenant.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ServiceError) as none:
        await raise_nc(session, owner_a, plan, requirements=[])
    assert none.value.field == ["requirements"]
    await session.rollback()
    assert (await session.scalars(select(Finding))).all() == []


async def test_a_nonconformity_needs_objective_evidence(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    with pytest.raises(ServiceError) as refused:
        await raise_nc(session, owner_a, plan, objective_evidence=" ")
    assert refused.value.field == ["objectiveEvidence"]


# --- references ---------------------------------------------------------------------------


async def test_references_count_per_kind_and_year_and_a_taken_one_conflicts(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    first = await raise_nc(session, owner_a, plan)
    second = await raise_nc(session, owner_a, plan, major=True)
    observation = await service.raise_finding(
        session, owner_a, "complaint", nonconformity(plan, type="observation")
    )
    year = TODAY.year
    assert [first.reference, second.reference, observation.reference] == [
        f"NC-{year}-001",
        f"NC-{year}-002",
        f"OBS-{year}-001",
    ]
    given = await service.raise_finding(
        session, owner_a, "incident", nonconformity(plan), reference=f"NC-{year}-040"
    )
    assert given.reference == f"NC-{year}-040"
    assert (await raise_nc(session, owner_a, plan)).reference == f"NC-{year}-041"
    with pytest.raises(ServiceError) as taken:
        await service.raise_finding(
            session, owner_a, "incident", nonconformity(plan), reference=f"NC-{year}-001"
        )
    assert (taken.value.code, taken.value.field) == (ErrorCode.CONFLICT, ["reference"])


# --- the answer to a nonconformity ------------------------------------------------------


async def _act(db: TenantSession, actor: Actor, plan: Plan, finding_id: uuid.UUID) -> Action:
    _, action = await service.add_corrective_action(
        db,
        actor,
        finding_id,
        NewCorrectiveAction(
            title="Put every gauge on the calibration plan",
            owner_id=plan.users["a_manager"],
            due_date=TODAY + timedelta(days=30),
        ),
    )
    return action


async def _done(db: TenantSession, action: Action) -> None:
    await db.execute(update(Action).where(Action.id == action.id).values(status="done"))
    await db.commit()


def _implemented(plan: Plan) -> Implementation:
    return Implementation(
        implemented_on=TODAY,
        review_due_date=TODAY + timedelta(days=60),
        reviewer_id=plan.users["a_admin"],
    )


async def _answered_up_to_review(db: TenantSession, actor: Actor, plan: Plan) -> Finding:
    finding = await raise_nc(db, actor, plan)
    await service.record_correction(db, actor, finding.id, "Gauges quarantined.", days_ago(1))
    await service.record_root_cause(db, actor, finding.id, "five_whys", "No owner for the plan.")
    await _done(db, await _act(db, actor, plan, finding.id))
    return await service.record_implementation(db, actor, finding.id, _implemented(plan))


async def test_a_nonconformity_is_answered_in_order_and_closes_after_an_effective_review(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await _answered_up_to_review(session, owner_a, plan)
    finding_id = finding.id
    assert (finding.status, finding.implemented_on) == ("implemented", TODAY)
    with pytest.raises(ServiceError) as early:
        await service.close_finding(session, owner_a, finding_id)
    assert "awaits the review of its corrective actions' effectiveness" in early.value.message
    await session.rollback()
    reviewed = await service.review_effectiveness(
        session, owner_a, finding_id, Review("effective", notes="No gauge missed since.")
    )
    assert reviewed.status == "verified"
    closed = await service.close_finding(session, owner_a, finding_id)
    assert (closed.status, closed.closed_by_id) == ("closed", owner_a.user_id)
    [review] = await queries.reviews_of_findings(session, [finding_id])
    assert (review[0].verdict, review[0].reviewed_by_id) == ("effective", owner_a.user_id)


async def test_steps_out_of_order_are_refused_and_change_nothing(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan)
    finding_id = finding.id
    finding_reference = finding.reference
    with pytest.raises(ServiceError) as refused:
        await service.record_root_cause(session, owner_a, finding_id, "fishbone", "People.")
    assert refused.value.message == (
        f"Cannot record a root cause now: {finding_reference} has no correction yet: record"
        " its correction (containment) first."
    )
    await session.rollback()
    with pytest.raises(ServiceError) as no_action_yet:
        await _act(session, owner_a, plan, finding_id)
    assert "has no correction yet" in no_action_yet.value.message
    await session.rollback()
    stored = await session.get(Finding, finding_id, populate_existing=True)
    assert stored is not None
    assert (stored.status, stored.root_cause, stored.root_cause_method) == ("open", "", None)
    assert (await session.scalars(select(Action))).all() == []


async def test_implementation_waits_for_every_action_of_the_round(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan)
    finding_id = finding.id
    await service.record_correction(session, owner_a, finding_id, "Contained.", TODAY)
    await service.record_root_cause(session, owner_a, finding_id, "other", "No plan owner.")
    first = await _act(session, owner_a, plan, finding_id)
    await _act(session, owner_a, plan, finding_id)
    await _done(session, first)
    with pytest.raises(ServiceError) as refused:
        await service.record_implementation(session, owner_a, finding_id, _implemented(plan))
    assert 'not done yet: "Put every gauge on the calibration plan"' in refused.value.message


async def test_a_not_effective_review_reopens_and_asks_for_a_new_action(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await _answered_up_to_review(session, owner_a, plan)
    finding_id = finding.id
    with pytest.raises(ServiceError) as unexplained:
        await service.review_effectiveness(session, owner_a, finding_id, Review("not_effective"))
    assert unexplained.value.field == ["notes"]
    await session.rollback()
    reopened = await service.review_effectiveness(
        session, owner_a, finding_id, Review("not_effective", notes="G-21 missed in May.")
    )
    assert (reopened.status, reopened.round, reopened.implemented_on) == ("reopened", 2, None)
    for refused in (
        service.close_finding(session, owner_a, finding_id),
        service.record_implementation(session, owner_a, finding_id, _implemented(plan)),
    ):
        with pytest.raises(ServiceError) as error:
            await refused
        assert "was found not effective: add a new corrective action" in error.value.message
        await session.rollback()
    await _done(session, await _act(session, owner_a, plan, finding_id))
    again = await service.record_implementation(session, owner_a, finding_id, _implemented(plan))
    assert again.status == "implemented"
    rounds = await queries.corrective_actions_of_findings(session, [finding_id])
    assert [row.round for row in rounds[0]] == [1, 2]


async def test_observations_close_with_a_note_and_take_no_corrective_action(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    observation = await service.raise_finding(
        session, owner_a, "self_identified", nonconformity(plan, type="observation")
    )
    observation_id = observation.id
    with pytest.raises(ServiceError) as no_correction:
        await service.record_correction(session, owner_a, observation_id, "x", TODAY)
    assert "is not a nonconformity" in no_correction.value.message
    await session.rollback()
    with pytest.raises(ServiceError) as no_note:
        await service.close_finding(session, owner_a, observation_id)
    assert no_note.value.field == ["note"]
    await session.rollback()
    closed = await service.close_finding(
        session, owner_a, observation_id, "Shared with the planning team."
    )
    assert (closed.status, closed.closure_note) == ("closed", "Shared with the planning team.")


async def test_what_a_finding_is_about_is_fixed_once_it_is_being_answered(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan)
    finding_id = finding.id
    await service.record_correction(session, owner_a, finding_id, "Contained.", TODAY)
    for change, field in (
        (FindingFields(requirements=on(plan, "a", "8.5.1")), "requirements"),
        (FindingFields(type="observation"), "type"),
    ):
        with pytest.raises(ServiceError) as refused:
            await service.update_finding(session, owner_a, finding_id, change)
        assert refused.value.field == [field]
        await session.rollback()
    regraded = await service.update_finding(
        session, owner_a, finding_id, FindingFields(type="major_nonconformity", due_date=TODAY)
    )
    assert (regraded.type, regraded.due_date) == ("major_nonconformity", TODAY)


async def test_dates_of_the_answer_cannot_be_in_the_future(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    finding = await raise_nc(session, owner_a, plan)
    finding_id = finding.id
    with pytest.raises(ServiceError) as refused:
        await service.record_correction(
            session, owner_a, finding_id, "Contained.", TODAY + timedelta(days=2)
        )
    assert refused.value.field == ["correctedOn"]


# --- similar nonconformities and evidence ---------------------------------------------------


async def test_similar_nonconformities_share_a_harmonized_clause_in_other_programs(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    on_p = await raise_nc(session, owner_a, plan, "7.5.1")  # harmonized 7.5 through its parent
    on_q = await raise_nc(session, owner_a, plan, requirements=on(plan, "a_q", "7.5"))
    same_program = await raise_nc(session, owner_a, plan, "7.5.2")
    elsewhere = await raise_nc(session, owner_a, plan, requirements=on(plan, "a_q", "9.2"))
    b_owner = await acting(session, plan, "b_owner", "b", Role.OWNER)
    await raise_nc(session, b_owner, plan, requirements=on(plan, "b", "7.5.1"))

    await acting(session, plan, "a_owner", "a", Role.OWNER)
    ids = [on_p.id, on_q.id, same_program.id, elsewhere.id]
    similar = await queries.similar_findings(session, ids)
    assert [[row.id for row in found] for found in similar] == [
        [on_q.id],
        [same_program.id, on_p.id],  # newest first
        [on_q.id],
        [],
    ]
    await _close_long_ago(owner_engine, on_q.id)
    assert await queries.similar_findings(session, [on_p.id]) == [[]]


async def _close_long_ago(owner_engine: AsyncEngine, finding_id: uuid.UUID) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(
            update(Finding)
            .where(Finding.id == finding_id)
            .values(status="closed", closed_at=Finding.created_at - timedelta(days=400))
        )


async def test_evidence_attaches_to_findings_and_reviews_of_their_tenant_only(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    seen = await add_evidence(owner_engine, plan.orgs["a"], "Calibration plan")
    theirs = await add_evidence(owner_engine, plan.orgs["b"], "B's record")
    finding = await raise_nc(session, owner_a, plan, evidence_ids=[seen])
    finding_id = finding.id
    [attached] = await queries.evidence_of_findings(session, [finding_id])
    assert [item.id for item in attached] == [seen]
    with pytest.raises(ServiceError) as refused:
        await service.update_finding(
            session, owner_a, finding_id, FindingFields(evidence_ids=[theirs])
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, ["evidenceIds", "0"])
    await session.rollback()

    reviewed_with = await add_evidence(owner_engine, plan.orgs["a"], "May sample")
    await service.record_correction(session, owner_a, finding_id, "Contained.", TODAY)
    await service.record_root_cause(session, owner_a, finding_id, "other", "No plan owner.")
    await _done(session, await _act(session, owner_a, plan, finding_id))
    await service.record_implementation(session, owner_a, finding_id, _implemented(plan))
    await service.review_effectiveness(
        session, owner_a, finding_id, Review("effective", evidence_ids=[reviewed_with])
    )
    [[review]] = await queries.reviews_of_findings(session, [finding_id])
    [evidence] = await queries.evidence_of_reviews(session, [review.id])
    assert [item.id for item in evidence] == [reviewed_with]
