"""Below every service rule, the database itself keeps assessments and their history in their
tenant: readers cannot write, other tenants cannot see, rows cannot move."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, Delete, Update, delete, select, update
from sqlalchemy.exc import DBAPIError

from backend.assessments.models import Assessment, AssessmentChange
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
        assert await rowcount(db, delete(AssessmentChange)) == 0
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
