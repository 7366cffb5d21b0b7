"""Exit criteria of the training step: the planned sessions took place and people came.

Each criterion is one SQL statement, whatever the size of the program. Importing this module
registers them with `programs.criteria`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from backend.db.session import TenantSession
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey
from backend.training.models import Attendance, SessionStatus, TrainingSession
from tenants.models import User

NAMED = 5  # how many sessions or people a reason names


def _first_named(value: Any, order: tuple[Any, ...], condition: Any) -> Any:
    """The first NAMED values, in `order`, of the rows meeting `condition`."""
    values = func.array_agg(aggregate_order_by(value, *order)).filter(condition)
    return type_coerce(values, ARRAY(String))[1:NAMED]


def _listed(count: int, named: list[str]) -> str:
    more = f" and {count - len(named)} more" if count > len(named) else ""
    return f"{', '.join(named)}{more}"


@criterion(
    StepKey.TRAINING,
    "every-planned-session-held",
    "Every training session that is not cancelled has been held, and there is at least one.",
)
async def every_planned_session_held(db: TenantSession, program: Program) -> Verdict:
    planned = TrainingSession.status == SessionStatus.PLANNED.value
    order = (TrainingSession.held_on, TrainingSession.topic)
    row = (
        await db.execute(
            select(
                func.count(),
                func.count().filter(planned),
                _first_named(TrainingSession.topic, order, planned),
            ).where(
                TrainingSession.program_id == program.id,
                TrainingSession.status != SessionStatus.CANCELLED.value,
            )
        )
    ).one()
    sessions, waiting, topics = int(row[0]), int(row[1]), list(row[2] or [])
    if sessions == 0:
        return Verdict(False, "No training session is recorded yet.")
    if waiting:
        noun = "session is" if waiting == 1 else "sessions are"
        return Verdict(False, f"{waiting} {noun} still planned: {_listed(waiting, topics)}.")
    if sessions == 1:
        return Verdict(True, "The one session has been held.")
    return Verdict(True, f"All {sessions} sessions have been held.")


@criterion(
    StepKey.TRAINING,
    "everyone-in-scope-attended",
    "Everyone in scope of a held session attended it, and someone is in scope.",
)
async def everyone_in_scope_attended(db: TenantSession, program: Program) -> Verdict:
    absent = ~Attendance.attended
    who = func.coalesce(Attendance.person_name, User.name, literal("a member"))
    label = who + literal(" (") + TrainingSession.topic + literal(")")
    order = (TrainingSession.held_on, who)
    row = (
        await db.execute(
            select(func.count(), func.count().filter(absent), _first_named(label, order, absent))
            .select_from(Attendance)
            .join(TrainingSession, TrainingSession.id == Attendance.session_id)
            .outerjoin(User, User.id == Attendance.user_id)
            .where(
                TrainingSession.program_id == program.id,
                TrainingSession.status == SessionStatus.HELD.value,
            )
        )
    ).one()
    in_scope, missing, named = int(row[0]), int(row[1]), list(row[2] or [])
    if in_scope == 0:
        return Verdict(False, "Nobody is recorded in scope of a held session yet.")
    if missing:
        return Verdict(False, f"{missing} of {in_scope} did not attend: {_listed(missing, named)}.")
    if in_scope == 1:
        return Verdict(True, "The one person in scope attended.")
    return Verdict(True, f"All {in_scope} people in scope attended.")
