"""What a package holds, collected at freeze time from the other areas' rows (through their
models only): the programs and requirements in scope, the Statement of Applicability of
programs with annex controls, approved documents in their version in force, the current
evidence versions linked to the requirements in scope, the last closed internal audit of
each program and the last signed management review of the programs.

Each record is a plain-JSON snapshot of the rows as they stand, so the package never reads
them again; files are referenced by their evidence version, whose bytes never change.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on

from backend.assessments.models import Assessment
from backend.audits.models import Audit, AuditStatus, ChecklistLine
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.db.session import TenantSession
from backend.documents.models import (
    ControlledDocument,
    DocumentRequirement,
    DocumentStatus,
    DocumentVersion,
)
from backend.evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion, VersionStatus
from backend.packages.manifest import canonical, sha256
from backend.packages.models import Include
from backend.programs.models import Program
from backend.reviews.models import ManagementReview, ReviewInput, ReviewProgram, ReviewStatus


@dataclass(frozen=True)
class Scope:
    """The programs in scope, in order, and per program the requirements it is narrowed to
    (a program absent from `narrowed` is in scope whole)."""

    program_ids: Sequence[uuid.UUID]
    narrowed: dict[uuid.UUID, set[uuid.UUID]]
    includes: frozenset[Include]


@dataclass(frozen=True)
class Collected:
    """One future item: a record snapshot or an evidence version's file."""

    path: str
    type: str
    id: uuid.UUID | None
    record: dict[str, Any] | None = None
    version: EvidenceVersion | None = None

    @property
    def body(self) -> bytes:
        return canonical(self.record)

    @property
    def size(self) -> int:
        return self.version.size_bytes if self.version else len(self.body)

    @property
    def sha256(self) -> str:
        return self.version.sha256 if self.version else sha256(self.body)


@dataclass
class _Collection:
    items: list[Collected] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)

    def record(self, path: str, type_: str, row_id: uuid.UUID, value: dict[str, Any]) -> None:
        self._add(Collected(path, type_, row_id, record=_plain(value)))

    def file(self, folder: str, version: EvidenceVersion) -> None:
        path = f"{folder}/{version.id}-{safe_name(version.filename)}"
        self._add(Collected(path, "EvidenceVersion", version.id, version=version))

    def _add(self, item: Collected) -> None:
        if item.path not in self.paths:  # a file reached by two requirements is listed once
            self.paths.add(item.path)
            self.items.append(item)


async def collect(db: TenantSession, scope: Scope) -> list[Collected]:
    """Every item of the package, in a stable order: programs, SoA, documents, evidence,
    audits, review."""
    found = _Collection()
    requirements = await _requirements(db, scope)
    for program, standard in await _programs(db, scope.program_ids):
        rows = requirements.get(program.id, [])
        found.record(
            f"records/programs/{safe_name(standard)}-{program.id}.json",
            "Program",
            program.id,
            {"standard": standard, "status": program.status, "scope": program.scope_statement}
            | {"requirements": [_requirement(clause, row) for clause, row in rows]},
        )
        controls = [(c, a) for c, a in rows if c.kind == ClauseKind.CONTROL.value]
        if Include.SOA in scope.includes and controls:
            found.record(
                f"records/soa/{safe_name(standard)}-{program.id}.json",
                "StatementOfApplicability",
                program.id,
                {"standard": standard, "controls": [_control(c, a) for c, a in controls]},
            )
    pairs = [(p, clause.id) for p, rows in requirements.items() for clause, _ in rows]
    if Include.DOCUMENTS in scope.includes:
        await _documents(db, pairs, found)
    if Include.EVIDENCE in scope.includes:
        await _evidence(db, pairs, found)
    if Include.AUDITS in scope.includes:
        await _audits(db, scope.program_ids, found)
    if Include.REVIEW in scope.includes:
        await _review(db, scope.program_ids, found)
    return found.items


async def _programs(
    db: TenantSession, program_ids: Sequence[uuid.UUID]
) -> list[tuple[Program, str]]:
    rows = await db.execute(
        select(Program, Standard.code, Standard.edition)
        .join(Standard, Standard.id == Program.standard_id)
        .where(Program.id.in_(program_ids))
    )
    by_id = {program.id: (program, f"{code}:{edition}") for program, code, edition in rows}
    return [by_id[program_id] for program_id in program_ids if program_id in by_id]


async def _requirements(
    db: TenantSession, scope: Scope
) -> dict[uuid.UUID, list[tuple[Clause, Assessment]]]:
    """Per program, its requirements in scope with their assessments, in catalog order."""
    rows = await db.execute(
        select(Clause, Assessment)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id.in_(scope.program_ids), Clause.assessable.is_(True))
        .order_by(Clause.position)
    )
    found: dict[uuid.UUID, list[tuple[Clause, Assessment]]] = {}
    for clause, assessment in rows:
        narrowed = scope.narrowed.get(assessment.program_id)
        if narrowed is None or clause.id in narrowed:
            found.setdefault(assessment.program_id, []).append((clause, assessment))
    return found


def _requirement(clause: Clause, assessment: Assessment) -> dict[str, Any]:
    return {
        "number": clause.number,
        "title": clause.title,
        "status": assessment.status,
        "implementation": assessment.implementation,
        "assessed_at": assessment.assessed_at,
    }


def _control(clause: Clause, assessment: Assessment) -> dict[str, Any]:
    """A row of the Statement of Applicability; unassessed controls apply nor not."""
    applicable = (
        None if assessment.status == "not_assessed" else (assessment.status != "not_applicable")
    )
    return {
        "control": clause.number,
        "title": clause.title,
        "theme": clause.theme,
        "applicable": applicable,
        "justification": assessment.justification,
        "status": assessment.status,
        "implementation": assessment.implementation,
    }


async def _documents(
    db: TenantSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], found: _Collection
) -> None:
    """Documents serving a requirement in scope that have a version in force (the last
    approved one; a document under revision keeps it), with its file; obsolete ones none."""
    serving = select(DocumentRequirement.document_id).where(
        tuple_(DocumentRequirement.program_id, DocumentRequirement.clause_id).in_(pairs)
    )
    in_force = (
        select(ControlledDocument, DocumentVersion, EvidenceVersion)
        .join(DocumentVersion, DocumentVersion.document_id == ControlledDocument.id)
        .outerjoin(EvidenceVersion, EvidenceVersion.id == DocumentVersion.evidence_version_id)
        .where(
            ControlledDocument.id.in_(serving),
            ControlledDocument.status != DocumentStatus.OBSOLETE.value,
            DocumentVersion.approved_at.is_not(None),
        )
        .ext(distinct_on(ControlledDocument.code))
        .order_by(ControlledDocument.code, DocumentVersion.number.desc())
    )
    for document, version, file in await db.execute(in_force):
        found.record(
            f"records/documents/{safe_name(document.code)}.json",
            "DocumentVersion",
            version.id,
            {
                "code": document.code,
                "title": document.title,
                "type": document.type,
                "version": version.number,
                "approved_at": version.approved_at,
                "approver_id": version.approver_id,
                "change_summary": version.change_summary,
                "file": None if file is None else str(file.id),
            },
        )
        if file is not None and file.status == VersionStatus.AVAILABLE.value:
            found.file(f"files/documents/{safe_name(document.code)}", file)


async def _evidence(
    db: TenantSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], found: _Collection
) -> None:
    """The current (last available) version of each live evidence item linked to a
    requirement in scope, with a record of the item."""
    linked = select(EvidenceLink.evidence_id).where(
        tuple_(EvidenceLink.program_id, EvidenceLink.clause_id).in_(pairs)
    )
    current = (
        select(EvidenceItem, EvidenceVersion)
        .join(EvidenceVersion, EvidenceVersion.evidence_id == EvidenceItem.id)
        .where(
            EvidenceItem.id.in_(linked),
            EvidenceItem.deleted_at.is_(None),
            EvidenceVersion.status == VersionStatus.AVAILABLE.value,
        )
        .ext(distinct_on(EvidenceItem.id))
        .order_by(EvidenceItem.id, EvidenceVersion.created_at.desc())
    )
    for item, version in await db.execute(current):
        found.record(
            f"records/evidence/{item.id}.json",
            "EvidenceItem",
            item.id,
            {
                "title": item.title,
                "kind": item.kind,
                "period_from": item.period_from,
                "period_to": item.period_to,
                "valid_until": item.valid_until,
                "version": str(version.id),
            },
        )
        found.file(f"files/evidence/{item.id}", version)


async def _audits(db: TenantSession, program_ids: Sequence[uuid.UUID], found: _Collection) -> None:
    """The last closed internal audit of each program, with its checklist as signed."""
    last = (
        select(Audit)
        .join(ChecklistLine, ChecklistLine.audit_id == Audit.id)
        .where(ChecklistLine.program_id.in_(program_ids), Audit.status == AuditStatus.CLOSED.value)
        .ext(distinct_on(ChecklistLine.program_id))
        .order_by(ChecklistLine.program_id, Audit.signed_at.desc())
    )
    audits = {audit.id: audit for audit in await db.scalars(last)}
    lines = await db.execute(
        select(ChecklistLine, Clause.number)
        .join(Clause, Clause.id == ChecklistLine.clause_id)
        .where(ChecklistLine.audit_id.in_(audits))
        .order_by(ChecklistLine.position)
    )
    checklist: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for line, number in lines:
        checklist.setdefault(line.audit_id, []).append(
            {"requirement": number, "question": line.question, "result": line.result}
            | {"notes": line.notes, "sampled_records": line.sampled_records}
        )
    for audit in sorted(audits.values(), key=lambda row: row.reference):
        found.record(
            f"records/audits/{safe_name(audit.reference)}.json",
            "Audit",
            audit.id,
            {
                "reference": audit.reference,
                "title": audit.title,
                "criteria": audit.criteria,
                "actual_start": audit.actual_start,
                "actual_end": audit.actual_end,
                "conclusion": audit.conclusion,
                "signed_at": audit.signed_at,
                "checklist": checklist.get(audit.id, []),
            },
        )


async def _review(db: TenantSession, program_ids: Sequence[uuid.UUID], found: _Collection) -> None:
    """The last signed management review serving any program in scope, with its inputs."""
    review = await db.scalar(
        select(ManagementReview)
        .join(ReviewProgram, ReviewProgram.review_id == ManagementReview.id)
        .where(
            ReviewProgram.program_id.in_(program_ids),
            ManagementReview.status == ReviewStatus.SIGNED.value,
        )
        .order_by(ManagementReview.signed_at.desc())
        .limit(1)
    )
    if review is None:
        return
    inputs = await db.scalars(
        select(ReviewInput).where(ReviewInput.review_id == review.id).order_by(ReviewInput.position)
    )
    found.record(
        f"records/reviews/{review.id}.json",
        "ManagementReview",
        review.id,
        {
            "title": review.title,
            "period_start": review.period_start,
            "held_on": review.held_on,
            "signed_at": review.signed_at,
            "inputs": [
                {"kind": row.kind, "standard": row.standard, "figures": row.figures}
                | {"notes": row.notes}
                for row in inputs
            ],
        },
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A ZIP path segment: no separators, no '..', nothing a shell or an unzip trips on."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    return cleaned[:120]


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """Dates, times and ids as their ISO and canonical text: plain JSON, stored as is."""
    plain: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return plain
