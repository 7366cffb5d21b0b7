"""What a nonconformity tells the gap analysis, recorded where every judgement is recorded.

A requirement the gap analysis calls conformant cannot stay conformant once a nonconformity
against it is raised: a major one makes it nonconformant, a minor one partial (and a major
one also turns partial into nonconformant). The assessment changes in the finding's own
transaction, with an entry in the assessment history whose `after` names the finding as its
source, so nobody reads a silent change. Nothing else is ever changed here: a requirement not
yet assessed or judged not applicable keeps that judgement (the finding does not assess it
for the assessor), and closing a finding does not make anything conformant again; that is
a person's judgement, recorded by reassessing.

The rule is the finding area's own, so it lives here and writes through the assessment
models; the assessment service (a person's judgements) stays out of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, tuple_

from backend.assessments.models import (
    Assessment,
    AssessmentChange,
    ChangeSource,
    Conformity,
    assessed_state,
)
from backend.core.access import Actor
from backend.core.validation import TEXT_LIMIT
from backend.db.session import TenantSession
from backend.findings.models import Finding, FindingType

# From best to worst: what a nonconformity can make of a judged requirement.
JUDGED = (Conformity.CONFORMANT, Conformity.PARTIAL, Conformity.NONCONFORMANT)
SHOWN = {
    FindingType.MAJOR_NONCONFORMITY: Conformity.NONCONFORMANT,
    FindingType.MINOR_NONCONFORMITY: Conformity.PARTIAL,
}


def flipped(current: Conformity, finding_type: FindingType) -> Conformity | None:
    """The status a finding of `finding_type` leaves on a requirement judged `current`, or
    None when the judgement stands (no nonconformity, not judged, or already as bad)."""
    shown = SHOWN.get(finding_type)
    if shown is None or current not in JUDGED:
        return None
    return shown if JUDGED.index(shown) > JUDGED.index(current) else None


async def record_in_gap_analysis(
    db: TenantSession,
    actor: Actor,
    finding: Finding,
    requirements: Sequence[tuple[uuid.UUID, uuid.UUID]],
) -> int:
    """Apply `finding` to the assessments of its (program id, clause id) requirements and
    keep each change in the history; returns how many changed. One statement to read and
    lock them, whatever their number."""
    if not requirements:
        return 0
    assessments = await db.scalars(
        select(Assessment)
        .where(tuple_(Assessment.program_id, Assessment.clause_id).in_(list(requirements)))
        .order_by(Assessment.id)
        .with_for_update()
    )
    now = datetime.now(UTC)
    changed = 0
    for assessment in assessments:
        status = flipped(Conformity(assessment.status), FindingType(finding.type))
        if status is not None:
            _flip(db, actor, finding, assessment, status=status, now=now)
            changed += 1
    return changed


def _flip(
    db: TenantSession,
    actor: Actor,
    finding: Finding,
    assessment: Assessment,
    *,
    status: Conformity,
    now: datetime,
) -> None:
    before = assessed_state(assessment)
    assessment.status = status.value
    if not assessment.gap_description:
        # A gap states what keeps it from conforming; the finding says it.
        assessment.gap_description = f"{finding.reference}: {finding.statement}"[:TEXT_LIMIT]
    assessment.assessed_by_id = actor.user_id
    assessment.assessed_at = now
    db.add(
        AssessmentChange(
            tenant_id=assessment.tenant_id,
            assessment_id=assessment.id,
            changed_by_id=actor.user_id,
            changed_at=now,
            before=before,
            after={
                **assessed_state(assessment),
                "source": ChangeSource.FINDING.value,
                "finding_id": str(finding.id),
                "reference": finding.reference,
            },
        )
    )
