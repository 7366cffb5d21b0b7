"""Reminders as background work: every day, each register row whose review date has come,
and each obligation whose next evaluation is due, becomes a planning action for its owner,
once per due day."""

from __future__ import annotations

from typing import Any

from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic
from backend.registers.service import remind_due


async def _remind(db: TenantSession, _payload: dict[str, Any]) -> None:
    await remind_due(db)


REMIND = Job("registers.remind", _remind)
DAILY = Periodic("registers.daily-reminders", REMIND.name, "0 5 * * *")
