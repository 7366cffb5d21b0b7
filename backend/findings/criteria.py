"""Exit criteria of the internal audit step that findings judge: no major nonconformity is
left open, and every open minor one is being acted on.

A finding belongs to a program through its requirements. Both criteria share one SQL
statement for any number of programs and findings (`shared_facts`).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, exists, func, select

from backend.db.session import TenantSession
from backend.findings.models import (
    CorrectiveAction,
    Finding,
    FindingRequirement,
    FindingStatus,
    FindingType,
)
from backend.planning.models import Action, ActionStatus
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    among_asked,
    asked,
    criterion,
    first_named,
    listed,
    shared_facts,
)
from backend.programs.models import StepKey

NONE_OPEN: tuple[int, Sequence[str], int, Sequence[str]] = (0, [], 0, [])

Open = dict[uuid.UUID, tuple[int, Sequence[str], int, Sequence[str]]]
"""Per program: open majors and their first NAMED references, then the same for the open
minor nonconformities nobody acts on."""


@shared_facts
async def _open_findings(db: TenantSession, programs: Programs) -> Open:
    rows = await db.execute(_open_statement(), asked(programs))
    return {
        program: (majors, named or [], minors, unacted or [])  # no match: a NULL array
        for program, majors, named, minors, unacted in rows
    }


@functools.cache
def _open_statement() -> Select[uuid.UUID, int, list[str], int, list[str]]:
    """Built once: per asked program, the open findings each criterion counts, in the order
    raised. A finding on several requirements of a program counts once there."""
    of_program = (
        select(FindingRequirement.finding_id, FindingRequirement.program_id)
        .where(among_asked(FindingRequirement.program_id))
        .distinct()
        .subquery()
    )
    major = Finding.type == FindingType.MAJOR_NONCONFORMITY.value
    unacted = _minor_not_acted_on()
    return (
        select(
            of_program.c.program_id,
            func.count().filter(major),
            first_named(Finding.reference, Finding.created_at, Finding.id, where=major),
            func.count().filter(unacted),
            first_named(Finding.reference, Finding.created_at, Finding.id, where=unacted),
        )
        .join(of_program, of_program.c.finding_id == Finding.id)
        .where(Finding.status != FindingStatus.CLOSED.value)
        .group_by(of_program.c.program_id)
    )


def _minor_not_acted_on() -> ColumnElement[bool]:
    """Acted on means an action of the finding's current round (a "not effective" review
    starts a new round), not cancelled, with an owner and a due date. A minor nonconformity
    verified effective needs nothing more."""
    acted_on = exists().where(
        CorrectiveAction.finding_id == Finding.id,
        CorrectiveAction.round == Finding.round,
        Action.id == CorrectiveAction.action_id,
        Action.status != ActionStatus.CANCELLED.value,
        Action.owner_id.is_not(None),
        Action.due_date.is_not(None),
    )
    return (
        (Finding.type == FindingType.MINOR_NONCONFORMITY.value)
        & (Finding.status != FindingStatus.VERIFIED.value)
        & ~acted_on
    )


@criterion(
    StepKey.INTERNAL_AUDIT,
    "no-major-nonconformity-open",
    "No major nonconformity is open.",
)
async def no_major_nonconformity_open(db: TenantSession, programs: Programs) -> Verdicts:
    found = await _open_findings(db, programs)
    return {
        program.id: _major_verdict(*found.get(program.id, NONE_OPEN)[:2]) for program in programs
    }


def _major_verdict(count: int, references: Sequence[str]) -> Verdict:
    if count == 0:
        return Verdict(True, "No major nonconformity is open.")
    subject = "1 major nonconformity is" if count == 1 else f"{count} major nonconformities are"
    return Verdict(False, f"{subject} open: {listed(count, references)}.")


@criterion(
    StepKey.INTERNAL_AUDIT,
    "minor-nonconformities-acted-on",
    "Every open minor nonconformity has a corrective action with an owner and a due date.",
)
async def minor_nonconformities_acted_on(db: TenantSession, programs: Programs) -> Verdicts:
    found = await _open_findings(db, programs)
    return {
        program.id: _minor_verdict(*found.get(program.id, NONE_OPEN)[2:]) for program in programs
    }


def _minor_verdict(count: int, references: Sequence[str]) -> Verdict:
    if count == 0:
        return Verdict(
            True, "Every open minor nonconformity has an owned, dated corrective action."
        )
    subject = "1 minor nonconformity lacks" if count == 1 else f"{count} minor nonconformities lack"
    return Verdict(
        False,
        f"{subject} a corrective action with an owner and a due date: {listed(count, references)}.",
    )
