"""Exit criteria of the training step: the planned sessions took place and people came.

Each criterion is one SQL statement for any number of programs, whatever their size.
Importing this module registers them with `programs.criteria`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, literal, select

from backend.db.session import TenantSession
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    among_asked,
    asked,
    criterion,
    first_named,
    listed,
)
from backend.programs.models import StepKey
from backend.training.models import Attendance, SessionStatus, TrainingSession
from tenants.models import User


@criterion(
    StepKey.TRAINING,
    "every-planned-session-held",
    "Every training session that is not cancelled has been held, and there is at least one.",
)
async def every_planned_session_held(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_sessions(), asked(programs))
    found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {program.id: _held(*found.get(program.id, (0, 0, []))) for program in programs}


@functools.cache
def _sessions() -> Select[uuid.UUID, int, int, list[str]]:
    """Per asked program, its sessions not cancelled and those still planned (named): built
    once, as a dashboard asks it on every load."""
    planned = TrainingSession.status == SessionStatus.PLANNED.value
    order = (TrainingSession.held_on, TrainingSession.topic)
    return (
        select(
            TrainingSession.program_id,
            func.count(),
            func.count().filter(planned),
            first_named(TrainingSession.topic, *order, where=planned),
        )
        .where(
            among_asked(TrainingSession.program_id),
            TrainingSession.status != SessionStatus.CANCELLED.value,
        )
        .group_by(TrainingSession.program_id)
    )


def _held(sessions: int, waiting: int, topics: Sequence[str]) -> Verdict:
    if sessions == 0:
        return Verdict(False, "No training session is recorded yet.")
    if waiting:
        noun = "session is" if waiting == 1 else "sessions are"
        return Verdict(False, f"{waiting} {noun} still planned: {listed(waiting, topics)}.")
    if sessions == 1:
        return Verdict(True, "The one session has been held.")
    return Verdict(True, f"All {sessions} sessions have been held.")


@criterion(
    StepKey.TRAINING,
    "everyone-in-scope-attended",
    "Everyone in scope of a held session attended it, and someone is in scope.",
)
async def everyone_in_scope_attended(db: TenantSession, programs: Programs) -> Verdicts:
    rows = await db.execute(_attendance(), asked(programs))
    found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {program.id: _attended(*found.get(program.id, (0, 0, []))) for program in programs}


@functools.cache
def _attendance() -> Select[uuid.UUID, int, int, list[str]]:
    """Per asked program, who was in scope of its held sessions and who was absent (named):
    built once, as a dashboard asks it on every load."""
    absent = ~Attendance.attended
    who = func.coalesce(Attendance.person_name, User.name, literal("a member"))
    label = who + literal(" (") + TrainingSession.topic + literal(")")
    return (
        select(
            TrainingSession.program_id,
            func.count(),
            func.count().filter(absent),
            first_named(label, TrainingSession.held_on, who, where=absent),
        )
        .select_from(Attendance)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .outerjoin(User, User.id == Attendance.user_id)
        .where(
            among_asked(TrainingSession.program_id),
            TrainingSession.status == SessionStatus.HELD.value,
        )
        .group_by(TrainingSession.program_id)
    )


def _attended(in_scope: int, missing: int, named: Sequence[str]) -> Verdict:
    if in_scope == 0:
        return Verdict(False, "Nobody is recorded in scope of a held session yet.")
    if missing:
        return Verdict(False, f"{missing} of {in_scope} did not attend: {listed(missing, named)}.")
    if in_scope == 1:
        return Verdict(True, "The one person in scope attended.")
    return Verdict(True, f"All {in_scope} people in scope attended.")
