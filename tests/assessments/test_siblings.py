"""Applying one assessment of a harmonized clause to sibling programs: explicit, never silent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from backend.assessments import service
from backend.assessments.models import Conformity, Implementation, Priority
from backend.core.errors import ErrorCode, ServiceError
from tests.api.helpers import add_managed_clients
from tests.assessments.helpers import Scene

PRACTICE = "One audit a year, by the quality manager."
GAP = "No audit programme; auditors audit their own work."


@dataclass(frozen=True)
class Programs:
    """Tenant A's three programs, and its owner's judgement of the quality program's 9.2."""

    quality: uuid.UUID
    security: uuid.UUID
    environment: uuid.UUID
    source: uuid.UUID


@pytest.fixture
async def programs(scene: Scene) -> Programs:
    quality = await scene.start_program(scene.catalog.quality)
    async with scene.acting("a_owner") as (db, actor):
        source = await service.assess_requirement(
            db,
            actor,
            quality,
            scene.catalog.quality.clauses["9.2"],
            status=Conformity.PARTIAL,
            current_practice=PRACTICE,
            gap_description=GAP,
            priority=Priority.HIGH,
        )
    return Programs(
        quality=quality,
        security=await scene.start_program(scene.catalog.security),
        environment=await scene.start_program(scene.catalog.environment),
        source=source.id,
    )


def fields_of(error: ServiceError) -> list[tuple[ErrorCode, list[str]]]:
    return [(each.code, each.field) for each in error.each()]


async def test_the_judgement_is_copied_to_the_same_clause_of_each_named_program(
    scene: Scene, programs: Programs
) -> None:
    async with scene.acting("a_admin") as (db, actor):
        copied = await service.apply_to_siblings(db, actor, programs.source, [programs.security])
    # Every requirement of harmonized clause 9.2 in the named program, in catalog order.
    targets = [scene.catalog.security.clauses["9.2"], scene.catalog.security.clauses["A.5.35"]]
    assert [(row.program_id, row.clause_id) for row in copied] == [
        (programs.security, clause) for clause in targets
    ]
    for clause in targets:
        target = await scene.assessment(programs.security, clause)
        assert (target.status, target.priority) == ("partial", "high")
        assert (target.current_practice, target.gap_description) == (PRACTICE, GAP)
        assert target.assessed_by_id == scene.user("a_admin")
    # Only what was named changed: the environmental program was not named.
    untouched = await scene.assessment(
        programs.environment, scene.catalog.environment.clauses["4.1"]
    )
    assert untouched.status == "not_assessed"


async def test_each_copy_is_recorded_in_the_targets_history(
    scene: Scene, programs: Programs
) -> None:
    async with scene.acting("a_admin") as (db, actor):
        copied = await service.apply_to_siblings(db, actor, programs.source, [programs.security])
    for target in copied:
        [change] = await scene.history(target.id)
        assert change.changed_by_id == scene.user("a_admin")
        assert (change.before["status"], change.after["status"]) == ("not_assessed", "partial")
        assert change.after["gap_description"] == GAP
    assert len(await scene.history(programs.source)) == 1  # the source's own judgement only


async def test_a_program_without_that_harmonized_clause_is_refused_by_name(
    scene: Scene, programs: Programs
) -> None:
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.apply_to_siblings(
                db, actor, programs.source, [programs.security, programs.environment]
            )
    [error] = refused.value.each()
    assert (error.code, error.field) == (ErrorCode.INVALID, ["programIds", "1"])
    assert error.message == (
        f"The {scene.catalog.environment.name} program has no requirement of clause 9.2."
    )
    assert await scene.stored() == before  # the valid sibling was not changed either


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ([], [(ErrorCode.INVALID, ["programIds"])]),
        (["quality"], [(ErrorCode.INVALID, ["programIds", "0"])]),  # its own program
        (["security", "security"], [(ErrorCode.INVALID, ["programIds", "1"])]),
        (["random"], [(ErrorCode.NOT_FOUND, ["programIds", "0"])]),
    ],
)
async def test_the_program_list_is_checked_item_by_item(
    scene: Scene,
    programs: Programs,
    named: list[str],
    expected: list[tuple[ErrorCode, list[str]]],
) -> None:
    ids = [uuid.uuid4() if name == "random" else getattr(programs, name) for name in named]
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.apply_to_siblings(db, actor, programs.source, ids)
    assert fields_of(refused.value) == expected
    assert await scene.stored() == before


async def test_another_tenants_program_is_not_a_sibling(scene: Scene, programs: Programs) -> None:
    """Unreadable (tenant B): answered like a random id. Readable (the consultant's other
    client): named as another organization's. Nothing changes either way."""
    [other] = await add_managed_clients(scene.owner, scene.org("consultancy"), 1)
    readable = await scene.start_program(scene.catalog.security, other.id)
    unreadable = await scene.start_program(scene.catalog.security, scene.org("b"))
    before = await scene.stored()
    async with scene.acting("consultant") as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.apply_to_siblings(
                db, actor, programs.source, [unreadable, readable, uuid.uuid4()]
            )
    errors = refused.value.each()
    assert fields_of(refused.value) == [
        (ErrorCode.NOT_FOUND, ["programIds", "0"]),
        (ErrorCode.INVALID, ["programIds", "1"]),
        (ErrorCode.NOT_FOUND, ["programIds", "2"]),
    ]
    assert errors[0].message == errors[2].message
    assert "another organization" in errors[1].message
    assert await scene.stored() == before


async def test_only_an_assessed_harmonized_requirement_can_be_applied(
    scene: Scene, programs: Programs
) -> None:
    clauses = scene.catalog.quality.clauses
    not_assessed = await scene.assessment(programs.quality, clauses["4.1"])
    async with scene.acting("a_owner") as (db, actor):
        specific = await service.assess_requirement(  # 8.5.1 has no harmonized key
            db, actor, programs.quality, clauses["8.5.1"], status=Conformity.CONFORMANT
        )
    for assessment_id in (not_assessed.id, specific.id):
        async with scene.acting("a_owner") as (db, actor):
            with pytest.raises(ServiceError) as refused:
                await service.apply_to_siblings(db, actor, assessment_id, [programs.security])
        assert fields_of(refused.value) == [(ErrorCode.INVALID, ["assessmentId"])]


async def test_the_targets_implementation_status_is_its_own(
    scene: Scene, programs: Programs
) -> None:
    """Copying never copies implementation; a copied exclusion clears it, since an excluded
    control is not implemented."""
    control = scene.catalog.security.clauses["A.5.35"]
    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(
            db,
            actor,
            programs.security,
            control,
            status=Conformity.PARTIAL,
            gap_description="Reviews are informal.",
            implementation=Implementation.PLANNED,
        )
        await service.apply_to_siblings(db, actor, programs.source, [programs.security])
    kept = await scene.assessment(programs.security, control)
    assert (kept.gap_description, kept.implementation) == (GAP, "planned")

    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(
            db,
            actor,
            programs.quality,
            scene.catalog.quality.clauses["9.2"],
            status=Conformity.NOT_APPLICABLE,
            justification="Audits are run by the group for every site.",
        )
        await service.apply_to_siblings(db, actor, programs.source, [programs.security])
    cleared = await scene.assessment(programs.security, control)
    assert (cleared.status, cleared.implementation) == ("not_applicable", None)


@pytest.mark.parametrize("user", ["a_viewer", "auditor"])
async def test_readers_cannot_apply_to_siblings(
    scene: Scene, programs: Programs, user: str
) -> None:
    before = await scene.stored()
    async with scene.acting(user) as (db, actor):
        with pytest.raises(ServiceError) as refused:
            await service.apply_to_siblings(db, actor, programs.source, [programs.security])
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert await scene.stored() == before


async def test_another_tenants_assessment_answers_like_a_random_id(
    scene: Scene, programs: Programs
) -> None:
    before = await scene.stored()
    answers = []
    for assessment_id in (programs.source, uuid.uuid4()):
        async with scene.acting("b_owner", "b") as (db, actor):
            with pytest.raises(ServiceError) as refused:
                await service.apply_to_siblings(db, actor, assessment_id, [programs.security])
        answers.append((refused.value.code, refused.value.message, refused.value.field))
    assert (
        answers[0] == answers[1] == (ErrorCode.NOT_FOUND, "Assessment not found.", ["assessmentId"])
    )
    assert await scene.stored() == before
