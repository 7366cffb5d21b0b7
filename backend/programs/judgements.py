"""Judging requirements of a program, shared by every area that assesses: the rules one
judgement must meet, and recording a batch of them all-or-nothing with the history of each
change. The gap analysis (backend/assessments) and the re-import of its spreadsheet
(backend/reports) both write through here, so an imported row obeys exactly the rules of an
assessment made in the API and leaves the same history.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select

from backend.assessments.models import (
    Assessment,
    AssessmentChange,
    Conformity,
    Implementation,
    Priority,
)
from backend.catalog.models import Clause, ClauseKind
from backend.core.access import Actor, readable, require_writer
from backend.core.errors import CombinedServiceError, ServiceError, invalid, not_found
from backend.db.batch import among
from backend.db.session import TenantSession
from backend.programs.models import Program

MAX_TEXT = 10_000  # characters of one free-text field
MAX_ITEMS = 500  # requirements in one bulk assessment
GAP_STATUSES = (Conformity.PARTIAL, Conformity.NONCONFORMANT)
_TEXT_FIELDS = {
    "current_practice": "currentPractice",
    "gap_description": "gapDescription",
    "justification": "justification",
}

Snapshot = dict[str, str | None]
# Where an item's field sits in the input: ["justification"] or ["items", "3", "justification"].
Locate = Callable[[str], list[str]]


@dataclass(frozen=True)
class Judgement:
    """What an assessor states about one requirement of a program."""

    clause_id: uuid.UUID
    status: Conformity
    current_practice: str = ""
    gap_description: str = ""
    justification: str = ""
    priority: Priority | None = None
    implementation: Implementation | None = None

    @classmethod
    def of(cls, assessment: Assessment) -> Judgement:
        """The judgement a stored assessment holds."""
        return cls(
            assessment.clause_id,
            Conformity(assessment.status),
            assessment.current_practice,
            assessment.gap_description,
            assessment.justification,
            Priority(assessment.priority) if assessment.priority else None,
            Implementation(assessment.implementation) if assessment.implementation else None,
        )

    def cleaned(self) -> Judgement:
        return replace(
            self,
            current_practice=self.current_practice.strip(),
            gap_description=self.gap_description.strip(),
            justification=self.justification.strip(),
        )

    def snapshot(self) -> Snapshot:
        """The assessed fields by column name, as the history keeps them before and after."""
        return {
            "status": self.status.value,
            "current_practice": self.current_practice,
            "gap_description": self.gap_description,
            "justification": self.justification,
            "priority": self.priority.value if self.priority else None,
            "implementation": self.implementation.value if self.implementation else None,
        }


# --- access ------------------------------------------------------------------------------


async def program_for_change(db: TenantSession, actor: Actor, program_id: uuid.UUID) -> Program:
    """Everyone who may write in the organization may assess; viewers and auditors only read."""
    program = await readable(db, Program, program_id, "Program", "programId")
    require_writer(db, actor, program.tenant_id, "Program")
    return program


# --- validation --------------------------------------------------------------------------


def _problems(judgement: Judgement, clause: Clause | None, at: Locate) -> list[ServiceError]:
    """Everything wrong with one judgement of `clause` (None: not a requirement of the program)."""
    if clause is None:
        return [not_found("Requirement", at("requirementId"))]
    found = _text_problems(judgement, at)
    if judgement.status is Conformity.NOT_APPLICABLE and not judgement.justification:
        found.append(invalid("Say why the requirement does not apply.", at("justification")))
    if judgement.status in GAP_STATUSES and not judgement.gap_description:
        found.append(invalid("Describe what keeps it from conforming.", at("gapDescription")))
    if judgement.implementation is not None:
        found.extend(_implementation_problems(judgement, clause, at))
    return found


def _text_problems(judgement: Judgement, at: Locate) -> list[ServiceError]:
    return [
        invalid(f"At most {MAX_TEXT} characters.", at(field))
        for name, field in _TEXT_FIELDS.items()
        if len(getattr(judgement, name)) > MAX_TEXT
    ]


def _implementation_problems(
    judgement: Judgement, clause: Clause, at: Locate
) -> list[ServiceError]:
    if clause.kind != ClauseKind.CONTROL:
        return [invalid("Only annex controls have an implementation status.", at("implementation"))]
    if judgement.status is Conformity.NOT_APPLICABLE:
        return [invalid("A control that does not apply is not implemented.", at("implementation"))]
    return []


def all_problems(
    judgements: Sequence[Judgement],
    clauses: dict[uuid.UUID, Clause],
    locate: Callable[[int], Locate],
) -> list[ServiceError]:
    seen: set[uuid.UUID] = set()
    found = []
    for index, judgement in enumerate(judgements):
        at = locate(index)
        if judgement.clause_id in seen:
            found.append(invalid("This requirement is already in the list.", at("requirementId")))
        seen.add(judgement.clause_id)
        found.extend(_problems(judgement, clauses.get(judgement.clause_id), at))
    return found


def top_level(_index: int) -> Locate:
    return lambda field: [field]


def in_items(index: int) -> Locate:
    return lambda field: ["items", str(index), field]


def refuse(errors: Sequence[ServiceError]) -> None:
    if errors:
        raise CombinedServiceError(errors)


# --- recording ---------------------------------------------------------------------------


def record(
    db: TenantSession, actor: Actor, assessment: Assessment, judgement: Judgement, now: datetime
) -> Assessment:
    """Apply `judgement` and keep the change in the history, unless it changes nothing."""
    before, after = Judgement.of(assessment).snapshot(), judgement.snapshot()
    if before == after:
        return assessment
    for name, value in after.items():
        setattr(assessment, name, value)
    assessment.assessed_by_id = actor.user_id
    assessment.assessed_at = now
    db.add(
        AssessmentChange(
            tenant_id=assessment.tenant_id,
            assessment_id=assessment.id,
            changed_by_id=actor.user_id,
            changed_at=now,
            before=before,
            after=after,
        )
    )
    return assessment


async def locked_targets(
    db: TenantSession, program_id: uuid.UUID, clause_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Assessment, Clause]]:
    """The program's assessments of `clause_ids` with their clauses, locked, in one statement."""
    rows = await db.execute(
        select(Assessment, Clause)
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(
            Assessment.program_id == program_id,
            among(Assessment.clause_id, clause_ids),
            Clause.assessable,  # a clause divided into sub-clauses is no longer assessed itself
        )
        .with_for_update(of=Assessment)
    )
    return {clause.id: (assessment, clause) for assessment, clause in rows}


async def judge(
    db: TenantSession,
    actor: Actor,
    program_id: uuid.UUID,
    judgements: Sequence[Judgement],
    locate: Callable[[int], Locate],
) -> list[Assessment]:
    """Validate every judgement, then record them all, or refuse them all with every problem."""
    program = await program_for_change(db, actor, program_id)
    targets = await locked_targets(db, program.id, [j.clause_id for j in judgements])
    clauses = {clause_id: clause for clause_id, (_, clause) in targets.items()}
    refuse(all_problems(judgements, clauses, locate))
    now = datetime.now(UTC)
    recorded = [
        record(db, actor, targets[judgement.clause_id][0], judgement, now)
        for judgement in judgements
    ]
    await db.commit()
    return recorded
