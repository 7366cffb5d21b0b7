"""Exit criteria of the internal audit step that findings judge: no major nonconformity is
left open, and every open minor one is being acted on.

A finding belongs to a program through its requirements. Each criterion is one SQL
statement for any number of programs and findings.
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
)
from backend.programs.models import StepKey

OpenReferences = Select[uuid.UUID, int, list[str]]
"""Per program: a count of open findings and the references of the first NAMED."""


async def _open_references(
    db: TenantSession, programs: Programs, statement: OpenReferences
) -> dict[uuid.UUID, tuple[int, Sequence[str]]]:
    """Run a statement of `_open_statement`, built once per shape, for the asked programs."""
    rows = await db.execute(statement, asked(programs))
    return {program_id: (count, references) for program_id, count, references in rows}


def _open_statement(kind: FindingType, *conditions: ColumnElement[bool]) -> OpenReferences:
    """Per asked program: how many open findings of `kind` meet `conditions`, and the
    references of the first NAMED in the order raised. A finding on several requirements of
    a program counts once there."""
    of_program = (
        select(FindingRequirement.finding_id, FindingRequirement.program_id)
        .where(among_asked(FindingRequirement.program_id))
        .distinct()
        .subquery()
    )
    return (
        select(
            of_program.c.program_id,
            func.count(),
            first_named(Finding.reference, Finding.created_at, Finding.id),
        )
        .join(of_program, of_program.c.finding_id == Finding.id)
        .where(
            Finding.type == kind.value,
            Finding.status != FindingStatus.CLOSED.value,
            *conditions,
        )
        .group_by(of_program.c.program_id)
    )


@criterion(
    StepKey.INTERNAL_AUDIT,
    "no-major-nonconformity-open",
    "No major nonconformity is open.",
)
async def no_major_nonconformity_open(db: TenantSession, programs: Programs) -> Verdicts:
    found = await _open_references(db, programs, _open_majors())
    return {program.id: _major_verdict(*found.get(program.id, (0, []))) for program in programs}


@functools.cache
def _open_majors() -> OpenReferences:
    """Built once: every open major nonconformity counts."""
    return _open_statement(FindingType.MAJOR_NONCONFORMITY)


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
    found = await _open_references(db, programs, _minors_not_acted_on())
    return {program.id: _minor_verdict(*found.get(program.id, (0, []))) for program in programs}


@functools.cache
def _minors_not_acted_on() -> OpenReferences:
    """Built once. Acted on means an action of the finding's current round (a "not
    effective" review starts a new round), not cancelled, with an owner and a due date. A
    minor nonconformity verified effective needs nothing more."""
    acted_on = exists().where(
        CorrectiveAction.finding_id == Finding.id,
        CorrectiveAction.round == Finding.round,
        Action.id == CorrectiveAction.action_id,
        Action.status != ActionStatus.CANCELLED.value,
        Action.owner_id.is_not(None),
        Action.due_date.is_not(None),
    )
    return _open_statement(
        FindingType.MINOR_NONCONFORMITY,
        Finding.status != FindingStatus.VERIFIED.value,
        ~acted_on,
    )


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
