"""Readiness as background work: a tenant's programs scored and stored, nightly and after
every transaction that changes one of the facts the score reads."""

from __future__ import annotations

from typing import Any

from backend.assessments.models import Assessment
from backend.audits.models import Audit, ChecklistLine
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentVersion
from backend.evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from backend.findings.models import CorrectiveAction, EffectivenessReview, Finding
from backend.jobs.definitions import Job, Periodic
from backend.jobs.triggers import Trigger
from backend.planning.models import Action, Objective
from backend.programs.models import Program, ProgramStep
from backend.readiness.service import recompute_active
from backend.training.models import Attendance, TrainingSession


async def _recompute(db: TenantSession, _payload: dict[str, Any]) -> None:
    await recompute_active(db)


RECOMPUTE = Job("readiness.recompute", _recompute, time_limit_seconds=600)
NIGHTLY = Periodic("readiness.nightly", RECOMPUTE.name, "0 2 * * *")

FACTS = (
    Program,
    ProgramStep,
    Assessment,
    Objective,
    Action,
    EvidenceItem,
    EvidenceVersion,
    EvidenceLink,
    ControlledDocument,
    DocumentVersion,
    TrainingSession,
    Attendance,
    Finding,
    CorrectiveAction,
    EffectivenessReview,
    Audit,
    ChecklistLine,
)
"""The tables the score reads: a change to any of them is a reason to score again."""
FACT_TABLES = frozenset(model.__tablename__ for model in FACTS)
ON_FACTS = Trigger(RECOMPUTE.name, FACT_TABLES)
