"""Exit criteria of the internal audit step that findings judge: no major nonconformity is
left open, and every open minor one is being acted on.

A finding belongs to a program through its requirements. Each criterion is one SQL
statement, whatever the number of findings.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, select

from backend.db.session import TenantSession
from backend.findings.models import (
    CorrectiveAction,
    Finding,
    FindingRequirement,
    FindingStatus,
    FindingType,
)
from backend.planning.models import Action, ActionStatus
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

NAMED = 5  # how many references a reason names


def _open_of_program(program: Program, kind: FindingType) -> ColumnElement[bool]:
    return and_(
        Finding.type == kind.value,
        Finding.status != FindingStatus.CLOSED.value,
        exists().where(
            FindingRequirement.finding_id == Finding.id,
            FindingRequirement.program_id == program.id,
        ),
    )


async def _references(db: TenantSession, *conditions: ColumnElement[bool]) -> tuple[int, list[str]]:
    """How many findings match, and the references of the first NAMED in the order raised."""
    rows = (
        await db.execute(
            select(Finding.reference, func.count().over())
            .where(*conditions)
            .order_by(Finding.created_at, Finding.id)
            .limit(NAMED)
        )
    ).all()
    return (rows[0][1] if rows else 0), [reference for reference, _ in rows]


def _listed(count: int, references: list[str]) -> str:
    more = f" and {count - len(references)} more" if count > len(references) else ""
    return f"{', '.join(references)}{more}"


@criterion(
    StepKey.INTERNAL_AUDIT,
    "no-major-nonconformity-open",
    "No major nonconformity is open.",
)
async def no_major_nonconformity_open(db: TenantSession, program: Program) -> Verdict:
    count, references = await _references(
        db, _open_of_program(program, FindingType.MAJOR_NONCONFORMITY)
    )
    if count == 0:
        return Verdict(True, "No major nonconformity is open.")
    subject = "1 major nonconformity is" if count == 1 else f"{count} major nonconformities are"
    return Verdict(False, f"{subject} open: {_listed(count, references)}.")


@criterion(
    StepKey.INTERNAL_AUDIT,
    "minor-nonconformities-acted-on",
    "Every open minor nonconformity has a corrective action with an owner and a due date.",
)
async def minor_nonconformities_acted_on(db: TenantSession, program: Program) -> Verdict:
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
    count, references = await _references(
        db,
        _open_of_program(program, FindingType.MINOR_NONCONFORMITY),
        Finding.status != FindingStatus.VERIFIED.value,
        ~acted_on,
    )
    if count == 0:
        return Verdict(
            True, "Every open minor nonconformity has an owned, dated corrective action."
        )
    subject = "1 minor nonconformity lacks" if count == 1 else f"{count} minor nonconformities lack"
    return Verdict(
        False,
        f"{subject} a corrective action with an owner and a due date:"
        f" {_listed(count, references)}.",
    )
