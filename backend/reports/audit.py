"""What the internal audit report shows, read through the audits and findings models (as the
readiness report reads its areas): the audit's scope and criteria, its team, every checklist
line with its result, the findings raised from those lines with their answer (correction,
root cause, corrective actions per round, effectiveness), the conclusion and who signed.
A fixed handful of statements whatever the audit's size."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from backend.audits.models import (
    Audit,
    AuditFinding,
    AuditProgramme,
    AuditTeamMember,
    ChecklistLine,
    ChecklistResult,
)
from backend.catalog.models import Clause, Standard
from backend.db.session import TenantSession
from backend.findings.models import CorrectiveAction, EffectivenessReview, Finding
from backend.planning.models import Action
from backend.programs.models import Program
from backend.reports.people import names, words

UNRECORDED = "not recorded"  # a line without a result (the audit was not finished)


@dataclass(frozen=True)
class Line:
    standard: str  # "ISO 9001"
    requirement: str  # "7.5.3.2"
    question: str
    result: str
    notes: str


@dataclass(frozen=True)
class Remedy:
    """A corrective action of a finding, in the round it was planned for."""

    round: int
    title: str
    owner: str
    due: date | None
    status: str


@dataclass(frozen=True)
class RaisedFinding:
    reference: str
    type: str
    status: str
    requirement: str  # the checklist line it came from
    statement: str
    evidence: str
    correction: str
    root_cause: str
    actions: list[Remedy]
    effectiveness: str  # the last round's verdict, or "" before any review is planned


@dataclass(frozen=True)
class AuditFacts:
    reference: str
    title: str
    status: str
    programme: str
    standards: list[str]
    processes: list[str]
    sites: list[str]
    auditees: list[str]
    criteria: str
    objectives: str
    planned: tuple[date, date]
    held: tuple[date | None, date | None]
    lead_auditor: str
    team: list[str]
    checklist: list[Line]
    findings: list[RaisedFinding]
    conclusion: str
    signed_at: datetime | None
    signed_by: str

    @property
    def results(self) -> list[tuple[str, int]]:
        """Lines per result, in the order results are listed, those with none left out."""
        counted = Counter(line.result for line in self.checklist)
        order = [words(result.value) for result in ChecklistResult] + [UNRECORDED]
        return [(result, counted[result]) for result in order if counted[result]]


async def audit_facts(db: TenantSession, audit: Audit) -> AuditFacts:
    programme = await db.get(AuditProgramme, audit.programme_id)
    team = await _team(db, audit.id)
    checklist, standards = await _checklist(db, audit.id)
    findings = await _findings(db, audit.id)
    known = await names(db, [audit.lead_auditor_id, audit.signed_by_id, *(u for _, u in team)])
    return AuditFacts(
        reference=audit.reference,
        title=audit.title,
        status=words(audit.status),
        programme=programme.title if programme else "",
        standards=standards,
        processes=list(audit.processes),
        sites=list(audit.sites),
        auditees=list(audit.auditee_contacts),
        criteria=audit.criteria,
        objectives=audit.objectives,
        planned=(audit.planned_start, audit.planned_end),
        held=(audit.actual_start, audit.actual_end),
        lead_auditor=known.of(audit.lead_auditor_id),
        team=[external or known.of(user_id) for external, user_id in team],
        checklist=checklist,
        findings=await _answered(db, findings),
        conclusion=audit.conclusion,
        signed_at=audit.signed_at,
        signed_by=known.of(audit.signed_by_id),
    )


async def _team(db: TenantSession, audit_id: uuid.UUID) -> list[tuple[str, uuid.UUID | None]]:
    """The team in order: each an outsider's name or a member's id."""
    rows = await db.scalars(
        select(AuditTeamMember)
        .where(AuditTeamMember.audit_id == audit_id)
        .order_by(AuditTeamMember.position)
    )
    return [(row.external_name, row.user_id) for row in rows]


async def _checklist(db: TenantSession, audit_id: uuid.UUID) -> tuple[list[Line], list[str]]:
    rows = await db.execute(
        select(ChecklistLine, Clause.number, Standard.code, Standard.edition)
        .join(Clause, Clause.id == ChecklistLine.clause_id)
        .join(Program, Program.id == ChecklistLine.program_id)
        .join(Standard, Standard.id == Program.standard_id)
        .where(ChecklistLine.audit_id == audit_id)
        .order_by(ChecklistLine.position)
    )
    lines, standards = [], []
    for line, number, code, edition in rows:
        result = words(line.result) if line.result else UNRECORDED
        lines.append(Line(code, number, line.question, result, line.notes))
        if f"{code}:{edition}" not in standards:
            standards.append(f"{code}:{edition}")
    return lines, standards


async def _findings(db: TenantSession, audit_id: uuid.UUID) -> list[tuple[Finding, str]]:
    rows = await db.execute(
        select(Finding, Clause.number)
        .join(AuditFinding, AuditFinding.finding_id == Finding.id)
        .join(ChecklistLine, ChecklistLine.id == AuditFinding.line_id)
        .join(Clause, Clause.id == ChecklistLine.clause_id)
        .where(AuditFinding.audit_id == audit_id)
        .order_by(Finding.reference)
    )
    return [(finding, number) for finding, number in rows]


async def _answered(db: TenantSession, findings: list[tuple[Finding, str]]) -> list[RaisedFinding]:
    """Each finding with its corrective actions and its last effectiveness verdict."""
    ids = [finding.id for finding, _ in findings]
    actions = (
        await db.execute(
            select(CorrectiveAction.finding_id, CorrectiveAction.round, Action)
            .join(Action, Action.id == CorrectiveAction.action_id)
            .where(CorrectiveAction.finding_id.in_(ids))
            .order_by(CorrectiveAction.round, Action.due_date.nulls_last(), Action.title)
        )
    ).all()
    verdicts = {
        row.finding_id: row.verdict
        for row in await db.scalars(
            select(EffectivenessReview)
            .where(EffectivenessReview.finding_id.in_(ids))
            .order_by(EffectivenessReview.round)
        )
    }
    owners = await names(db, [action.owner_id for _, _, action in actions])
    remedies: dict[uuid.UUID, list[Remedy]] = {}
    for finding_id, round_, action in actions:
        remedies.setdefault(finding_id, []).append(
            Remedy(
                round_,
                action.title,
                owners.of(action.owner_id),
                action.due_date,
                words(action.status),
            )
        )
    return [
        RaisedFinding(
            reference=finding.reference,
            type=words(finding.type),
            status=words(finding.status),
            requirement=number,
            statement=finding.statement,
            evidence=finding.objective_evidence,
            correction=finding.correction,
            root_cause=finding.root_cause,
            actions=remedies.get(finding.id, []),
            effectiveness=words(verdicts.get(finding.id, "")),
        )
        for finding, number in findings
    ]
