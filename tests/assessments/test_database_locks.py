"""Below every service rule, the database itself keeps assessments and their history in their
tenant: readers cannot write, other tenants cannot see, rows cannot move, history cannot be
rewritten."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, Delete, Update, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from backend.assessments import service
from backend.assessments.models import Assessment, AssessmentChange, Conformity
from backend.db.session import TenantSession
from tests.assessments.helpers import Scene

RLS_REFUSAL = "new row violates row-level security policy"


async def rowcount(db: TenantSession, statement: Update | Delete) -> int:
    result = await db.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


@pytest.fixture
async def program(scene: Scene) -> uuid.UUID:
    return await scene.start_program(scene.catalog.environment)


@pytest.mark.parametrize("reader", ["auditor", "a_viewer"])
async def test_readers_see_assessments_but_the_database_refuses_their_writes(
    scene: Scene, program: uuid.UUID, reader: str
) -> None:
    before = await scene.stored()
    async with scene.acting(reader) as (db, _):
        visible = (
            await db.scalars(select(Assessment).where(Assessment.program_id == program))
        ).all()
        assert len(visible) == len(scene.catalog.environment.assessable)
        changed = update(Assessment).where(Assessment.program_id == program)
        assert await rowcount(db, changed.values(status="conformant")) == 0
        assert await rowcount(db, delete(Assessment)) == 0
        db.add(
            AssessmentChange(
                tenant_id=scene.org("a"),
                assessment_id=visible[0].id,
                changed_by_id=scene.user(reader),
                before={},
                after={},
            )
        )
        with pytest.raises(DBAPIError, match=RLS_REFUSAL):
            await db.flush()
        await db.rollback()
    assert await scene.stored() == before


async def test_another_tenant_neither_sees_nor_touches_them(
    scene: Scene, program: uuid.UUID
) -> None:
    before = await scene.stored()
    async with scene.acting("b_owner", "b") as (db, _):
        assert (await db.scalars(select(Assessment))).all() == []
        assert (await db.scalars(select(AssessmentChange))).all() == []
        changed = update(Assessment).where(Assessment.program_id == program)
        assert await rowcount(db, changed.values(status="conformant")) == 0
        assert await rowcount(db, delete(Assessment)) == 0
        await db.commit()
    assert await scene.stored() == before


async def test_a_member_cannot_move_an_assessment_to_another_tenant(
    scene: Scene, program: uuid.UUID
) -> None:
    before = await scene.stored()
    async with scene.acting("a_owner") as (db, _):
        moved = update(Assessment).where(Assessment.program_id == program)
        with pytest.raises(DBAPIError, match=RLS_REFUSAL):
            await rowcount(db, moved.values(tenant_id=scene.org("b")))
        await db.rollback()
    assert await scene.stored() == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE assessment_changes SET after = before", "DELETE FROM assessment_changes"],
)
async def test_the_history_cannot_be_rewritten_even_in_the_own_tenant(
    scene: Scene, program: uuid.UUID, statement: str
) -> None:
    """The database refuses it to the app role; row-level security alone would allow it."""
    clause = scene.catalog.environment.clauses[scene.catalog.environment.assessable[0]]
    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirement(db, actor, program, clause, status=Conformity.CONFORMANT)
        before = await scene.stored()
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(text(statement))
        await db.rollback()
    assert await scene.stored() == before
