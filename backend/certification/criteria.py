"""The exit criteria of step 7 (certification audit), each judged by `step7` on the facts
`queries.stage_facts` (or, for the decision, the current certificates) reads: one statement
per criterion for any number of programs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from backend.certification import step7
from backend.certification.queries import StageFacts, current_certificates, stage_facts
from backend.db.session import TenantSession
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    criterion,
    ids_of,
    shared_facts,
)
from backend.programs.models import StepKey


@shared_facts
async def _stage_facts(db: TenantSession, programs: Programs) -> dict[uuid.UUID, StageFacts]:
    return await stage_facts(db, ids_of(programs))


async def _judge(
    db: TenantSession, programs: Programs, judge: Callable[[StageFacts], Verdict]
) -> Verdicts:
    facts = await _stage_facts(db, programs)
    return {program.id: judge(facts.get(program.id, StageFacts())) for program in programs}


@criterion(
    StepKey.CERTIFICATION_AUDIT,
    "stage-1-held",
    "Stage 1 was held, found the system ready, and every area of concern is resolved.",
)
async def stage_1_held(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judge(db, programs, step7.stage_1_held)


@criterion(
    StepKey.CERTIFICATION_AUDIT,
    "stage-2-held",
    "Stage 2 was held, and need not be repeated.",
)
async def stage_2_held(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judge(db, programs, step7.stage_2_held)


@criterion(
    StepKey.CERTIFICATION_AUDIT,
    "majors-verified",
    "Every major nonconformity of stage 2 was verified closed within the body's deadline.",
)
async def majors_verified(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judge(db, programs, step7.majors_verified)


@criterion(
    StepKey.CERTIFICATION_AUDIT,
    "minors-planned",
    "Every minor nonconformity of stage 2 has an accepted action plan.",
)
async def minors_planned(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judge(db, programs, step7.minors_planned)


@criterion(
    StepKey.CERTIFICATION_AUDIT,
    "decision-recorded",
    "The certification decision is recorded with a certificate.",
)
async def decision_recorded(db: TenantSession, programs: Programs) -> Verdicts:
    current = await current_certificates(db, ids_of(programs))
    return {program.id: step7.decision_recorded(current.get(program.id)) for program in programs}
