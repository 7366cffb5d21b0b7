"""Assessing requirements below the API: the rules, the history, bulk all-or-nothing, roles.

Everything runs as the application role through `runtime.sessions()`, scoped the way a
request of that user naming that tenant would be.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from backend.assessments import service
from backend.assessments.models import Conformity, Implementation, Priority
from backend.core.errors import ErrorCode, ServiceError
from backend.programs import judgements
from backend.programs.judgements import Judgement
from tenants.roles import Role
from tests.api.helpers import count_statements
from tests.assessments.helpers import Scene

EMPTY = {
    "status": "not_assessed",
    "current_practice": "",
    "gap_description": "",
    "justification": "",
    "priority": None,
    "implementation": None,
}


def errors_of(error: ServiceError) -> list[tuple[ErrorCode, list[str]]]:
    return [(each.code, each.field) for each in error.each()]


@pytest.fixture
async def quality(scene: Scene) -> uuid.UUID:
    """Tenant A's program on the quality standard."""
    return await scene.start_program(scene.catalog.quality)


@pytest.fixture
async def security(scene: Scene) -> uuid.UUID:
    """Tenant A's program on the security standard (it has annex controls)."""
    return await scene.start_program(scene.catalog.security)


# --- one requirement -------------------------------------------------------------------------


async def test_assessing_records_the_judgement_who_when_and_history(
    scene: Scene, quality: uuid.UUID
) -> None:
    clause = scene.catalog.quality.clauses["8.5.1"]
    started = datetime.now(UTC)
    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(
            db,
            actor,
            quality,
            clause,
            status=Conformity.PARTIAL,
            current_practice="  Work orders on paper.  ",
            gap_description="No traceability of batches.",
            priority=Priority.HIGH,
        )

    found = await scene.assessment(quality, clause)
    assert found.status == "partial"
    assert found.current_practice == "Work orders on paper."  # trimmed
    assert found.gap_description == "No traceability of batches."
    assert found.priority == "high"
    assert found.assessed_by_id == scene.user("a_owner")
    assert found.assessed_at is not None
    assert found.assessed_at >= started

    [change] = await scene.history(found.id)
    assert change.changed_by_id == scene.user("a_owner")
    assert change.changed_at == found.assessed_at
    assert change.before == EMPTY
    assert change.after == {
        **EMPTY,
        "status": "partial",
        "current_practice": "Work orders on paper.",
        "gap_description": "No traceability of batches.",
        "priority": "high",
    }


async def test_every_change_is_kept_and_an_unchanged_judgement_writes_nothing(
    scene: Scene, quality: uuid.UUID
) -> None:
    clause = scene.catalog.quality.clauses["4.1"]

    async def judge(user: str) -> None:
        async with scene.acting(user) as (db, actor):
            await service.assess_requirement(
                db, actor, quality, clause, status=Conformity.NONCONFORMANT, gap_description="None."
            )

    await judge("a_owner")
    first = await scene.assessment(quality, clause)
    await judge("a_admin")  # the same judgement again
    again = await scene.assessment(quality, clause)
    assert (again.assessed_by_id, again.assessed_at) == (scene.user("a_owner"), first.assessed_at)
    assert len(await scene.history(first.id)) == 1

    async with scene.acting("a_admin") as (db, actor):
        await service.assess_requirement(db, actor, quality, clause, status=Conformity.CONFORMANT)
    changes = await scene.history(first.id)
    assert [(c.changed_by_id, c.before["status"], c.after["status"]) for c in changes] == [
        (scene.user("a_owner"), "not_assessed", "nonconformant"),
        (scene.user("a_admin"), "nonconformant", "conformant"),
    ]
    assert changes[1].before["gap_description"] == "None."
    assert changes[1].after["gap_description"] == ""  # a judgement is stated whole
    assert (await scene.assessment(quality, clause)).assessed_by_id == scene.user("a_admin")


@pytest.mark.parametrize("justification", ["", "   "])
async def test_not_applicable_without_justification_is_refused(
    scene: Scene, quality: uuid.UUID, justification: str
) -> None:
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.assess_requirement(
                db,
                actor,
                quality,
                scene.catalog.quality.clauses["8.6"],
                status=Conformity.NOT_APPLICABLE,
                justification=justification,
            )
    assert errors_of(refused.value) == [(ErrorCode.INVALID, ["justification"])]
    assert await scene.stored() == before


async def test_not_applicable_with_justification_is_kept(scene: Scene, quality: uuid.UUID) -> None:
    clause = scene.catalog.quality.clauses["8.6"]
    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(
            db,
            actor,
            quality,
            clause,
            status=Conformity.NOT_APPLICABLE,
            justification="We release nothing: services only.",
        )
    found = await scene.assessment(quality, clause)
    assert (found.status, found.justification) == (
        "not_applicable",
        "We release nothing: services only.",
    )


@pytest.mark.parametrize("status", [Conformity.PARTIAL, Conformity.NONCONFORMANT])
async def test_a_gap_needs_its_description(
    scene: Scene, quality: uuid.UUID, status: Conformity
) -> None:
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.assess_requirement(
                db, actor, quality, scene.catalog.quality.clauses["4.1"], status=status
            )
    assert errors_of(refused.value) == [(ErrorCode.INVALID, ["gapDescription"])]
    assert await scene.stored() == before


async def test_implementation_status_belongs_to_applicable_annex_controls(
    scene: Scene, security: uuid.UUID
) -> None:
    clauses = scene.catalog.security.clauses
    before = await scene.stored()
    refusals = [
        (clauses["6.1.3"], Conformity.CONFORMANT, ""),  # a management-system clause
        (clauses["A.5.1"], Conformity.NOT_APPLICABLE, "Out of scope."),  # an excluded control
    ]
    for clause, status, justification in refusals:
        async with scene.acting("a_owner") as (db, actor):
            with pytest.raises(ServiceError) as refused:
                await service.assess_requirement(
                    db,
                    actor,
                    security,
                    clause,
                    status=status,
                    justification=justification,
                    implementation=Implementation.PLANNED,
                )
        assert errors_of(refused.value) == [(ErrorCode.INVALID, ["implementation"])]
    assert await scene.stored() == before

    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(
            db,
            actor,
            security,
            clauses["A.5.1"],
            status=Conformity.CONFORMANT,
            implementation=Implementation.IMPLEMENTED,
        )
    assert (await scene.assessment(security, clauses["A.5.1"])).implementation == "implemented"


async def test_a_requirement_outside_the_program_is_not_found(
    scene: Scene, quality: uuid.UUID
) -> None:
    """Another standard's clause, a clause that is not assessable, a random id: all alike."""
    outside = [
        scene.catalog.security.clauses["4.1"],
        scene.catalog.quality.clauses["8.5"],
        uuid.uuid4(),
    ]
    for clause in outside:
        async with scene.acting("a_owner") as (db, actor):
            with pytest.raises(ServiceError) as refused:
                await service.assess_requirement(
                    db, actor, quality, clause, status=Conformity.CONFORMANT
                )
        assert errors_of(refused.value) == [(ErrorCode.NOT_FOUND, ["requirementId"])]


async def test_overlong_text_is_refused(scene: Scene, quality: uuid.UUID) -> None:
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.assess_requirement(
                db,
                actor,
                quality,
                scene.catalog.quality.clauses["4.1"],
                status=Conformity.CONFORMANT,
                current_practice="x" * (judgements.MAX_TEXT + 1),
            )
    assert errors_of(refused.value) == [(ErrorCode.INVALID, ["currentPractice"])]


# --- many requirements at once ---------------------------------------------------------------


async def test_bulk_assessment_saves_every_item_with_its_history(
    scene: Scene, quality: uuid.UUID
) -> None:
    clauses = [scene.catalog.quality.clauses[number] for number in ("4.1", "4.2", "9.2")]
    judgements = [Judgement(clause, Conformity.CONFORMANT) for clause in clauses]
    async with scene.acting("a_admin") as (db, actor):
        saved = await service.assess_requirements(db, actor, quality, judgements)
    assert [row.clause_id for row in saved] == clauses
    for clause in clauses:
        found = await scene.assessment(quality, clause)
        assert (found.status, found.assessed_by_id) == ("conformant", scene.user("a_admin"))
        assert len(await scene.history(found.id)) == 1


async def test_bulk_assessment_is_all_or_nothing_and_reports_every_bad_item(
    scene: Scene, quality: uuid.UUID
) -> None:
    clauses = scene.catalog.quality.clauses
    judgements = [
        Judgement(clauses["4.1"], Conformity.CONFORMANT),
        Judgement(clauses["4.2"], Conformity.NOT_APPLICABLE),  # no justification
        Judgement(clauses["8.5.1"], Conformity.CONFORMANT),
        Judgement(clauses["8.5.2"], Conformity.PARTIAL, priority=Priority.LOW),  # no gap
        Judgement(uuid.uuid4(), Conformity.CONFORMANT),  # not a requirement of the program
        Judgement(clauses["4.1"], Conformity.CONFORMANT),  # twice
    ]
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.assess_requirements(db, actor, quality, judgements)
    assert errors_of(refused.value) == [
        (ErrorCode.INVALID, ["items", "1", "justification"]),
        (ErrorCode.INVALID, ["items", "3", "gapDescription"]),
        (ErrorCode.NOT_FOUND, ["items", "4", "requirementId"]),
        (ErrorCode.INVALID, ["items", "5", "requirementId"]),
    ]
    assert await scene.stored() == before  # the valid items were not saved either


@pytest.mark.parametrize("count", [0, judgements.MAX_ITEMS + 1])
async def test_bulk_assessment_takes_a_bounded_non_empty_list(
    scene: Scene, quality: uuid.UUID, count: int
) -> None:
    judgements = [Judgement(uuid.uuid4(), Conformity.CONFORMANT) for _ in range(count)]
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.assess_requirements(db, actor, quality, judgements)
    assert errors_of(refused.value) == [(ErrorCode.INVALID, ["items"])]


async def test_bulk_assessment_costs_the_same_statements_for_5_and_100_items(
    scene: Scene, quality: uuid.UUID
) -> None:
    extra = [scene.catalog.quality.clauses[f"10.{n}"] for n in range(1, 106)]

    async def statements_for(clauses: list[uuid.UUID]) -> int:
        judgements = [Judgement(c, Conformity.PARTIAL, gap_description="Gap.") for c in clauses]
        async with scene.acting("a_owner") as (db, actor):
            await db.connection()  # the scope's statement is not the operation's cost
            with count_statements(scene.runtime.engine) as statements:
                await service.assess_requirements(db, actor, quality, judgements)
        return len(statements)

    five = await statements_for(extra[:5])
    hundred = await statements_for(extra[5:])
    assert 0 < five == hundred


# --- who may assess --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CONTRIBUTOR])
async def test_managers_and_contributors_may_assess(
    scene: Scene, quality: uuid.UUID, role: Role
) -> None:
    person = await scene.add_person(role)
    clause = scene.catalog.quality.clauses["4.1"]
    async with scene.acting(person) as (db, actor):
        await service.assess_requirement(db, actor, quality, clause, status=Conformity.CONFORMANT)
    assert (await scene.assessment(quality, clause)).assessed_by_id == person


async def test_the_consultant_of_the_client_may_assess(scene: Scene, quality: uuid.UUID) -> None:
    clause = scene.catalog.quality.clauses["4.1"]
    async with scene.acting("consultant") as (db, actor):
        assert actor.role is Role.CONSULTANT
        await service.assess_requirement(db, actor, quality, clause, status=Conformity.CONFORMANT)
    assert (await scene.assessment(quality, clause)).status == "conformant"


@pytest.mark.parametrize("user", ["a_viewer", "auditor"])
async def test_viewers_and_auditors_never_assess(
    scene: Scene, quality: uuid.UUID, user: str
) -> None:
    clause = scene.catalog.quality.clauses["4.1"]
    before = await scene.stored()
    async with scene.acting(user) as (db, actor):
        with pytest.raises(ServiceError) as single:
            await service.assess_requirement(
                db, actor, quality, clause, status=Conformity.CONFORMANT
            )
        await db.rollback()
        with pytest.raises(ServiceError) as bulk:
            await service.assess_requirements(
                db, actor, quality, [Judgement(clause, Conformity.CONFORMANT)]
            )
    assert single.value.code == bulk.value.code == ErrorCode.FORBIDDEN
    assert await scene.stored() == before


async def test_another_tenants_program_answers_like_a_random_id(
    scene: Scene, quality: uuid.UUID
) -> None:
    before = await scene.stored()
    answers = []
    for program in (quality, uuid.uuid4()):
        async with scene.acting("b_owner", "b") as (db, actor):
            with pytest.raises(ServiceError) as refused:
                await service.assess_requirement(
                    db,
                    actor,
                    program,
                    scene.catalog.quality.clauses["4.1"],
                    status=Conformity.CONFORMANT,
                )
        answers.append((refused.value.code, refused.value.message, refused.value.field))
    assert answers[0] == answers[1] == (ErrorCode.NOT_FOUND, "Program not found.", ["programId"])
    assert await scene.stored() == before
