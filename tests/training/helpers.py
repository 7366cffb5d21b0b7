"""Shared helpers of the training tests: building sessions and seeing every training row."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.training import service
from backend.training.models import Attendance, TrainingSession
from backend.training.service import AttendanceFields, Person, SessionFields
from tests.planning.helpers import Plan

TRAINING_TABLES = (
    "training_sessions",
    "training_session_clauses",
    "training_attendance",
    "competence_requirements",
)
PAST = date(2026, 1, 15)
FUTURE = date(2099, 1, 1)


SESSION = SessionFields(
    type="workshop", topic="Safety induction", held_on=PAST, duration_minutes=90, trainer="Ada"
)


def session_fields(**overrides: Any) -> SessionFields:
    return replace(SESSION, **overrides)


async def new_session(
    db: TenantSession, actor: Actor, plan: Plan, **overrides: Any
) -> TrainingSession:
    return await service.create_session(db, actor, plan.programs["a"], session_fields(**overrides))


async def named(
    db: TenantSession, actor: Actor, session_id: uuid.UUID, name: str, **values: Any
) -> Attendance:
    """Put someone without an account in scope (as an operator unless told otherwise)."""
    fields = replace(AttendanceFields(job_role="operator"), **values)
    return await service.record_attendance(db, actor, session_id, Person(name=name), fields)


async def training_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every training row as the owner sees it, to prove a refused change changed nothing."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in TRAINING_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows
