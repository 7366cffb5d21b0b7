"""Controlled documents: documented information kept under change control.

Lifecycle: draft -> in_review -> approved -> obsolete, and in_review -> draft when the
reviewer asks for changes. Only the latest version is ever reviewed. To revise an approved
document, add a version: the document goes back to draft, and the approved version stays in
force (the document keeps its `approved_at`) until the new version is approved in its turn.
An obsolete document is final: it is kept as it was, for the record.

Members who may write (contributors and above) draft, submit and link documents; approving,
sending back and withdrawing take a manager or above, and nobody approves a version they
wrote. A document falls due for review when its review interval has passed since the
approval in force; review dates are whole days on the tenant's calendar, derived and never
stored.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Select, delete, func, select

from backend.catalog.models import Clause
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    for_change,
    require,
    require_writer,
)
from backend.core.calendar import TenantDay, today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ErrorCode, ServiceError, forbidden, invalid, not_found
from backend.core.validation import require_given, text_field
from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.documents.models import (
    ControlledDocument,
    DocumentRequirement,
    DocumentStatus,
    DocumentType,
    DocumentVersion,
)
from backend.documents.review import in_force, is_review_due, review_due_sql
from backend.evidence.models import EvidenceVersion, VersionStatus
from backend.programs.models import Program
from backend.programs.service import (
    RequirementRef,
    owner_member,
    readable_program,
)

CODE_LIMIT = 40
TITLE_LIMIT = 300
SUMMARY_LIMIT = 10_000
REVIEW_DAYS = range(1, 3651)  # one day to ten years
DEFAULT_REVIEW_DAYS = 365
MAX_REQUIREMENTS = 50  # program requirements one document serves; reads of them stay short


@dataclass(frozen=True)
class DocumentFields:
    """A document's metadata; KEEP leaves the stored value, None clears the owner."""

    type: Change[DocumentType] = KEEP
    code: Change[str] = KEEP  # the organization's own reference, unique in it ("QP-04")
    title: Change[str] = KEEP
    owner_id: Change[uuid.UUID | None] = KEEP
    review_interval_days: Change[int] = KEEP


# --- validation ---------------------------------------------------------------------------


def _review_days(days: int) -> int:
    if days not in REVIEW_DAYS:
        raise invalid(
            f"reviewIntervalDays must be between {REVIEW_DAYS.start} and {REVIEW_DAYS.stop - 1}.",
            ["reviewIntervalDays"],
        )
    return days


def _code_taken() -> ServiceError:
    return ServiceError(ErrorCode.CONFLICT, "Another document already uses that code.", ["code"])


# --- access -------------------------------------------------------------------------------


async def _document_for_change(
    db: TenantSession, actor: Actor, document_id: uuid.UUID
) -> ControlledDocument:
    """The document, locked for this transaction, once the actor may change it."""
    return await for_change(
        db,
        actor,
        ControlledDocument,
        document_id,
        permission=Permission.CONTRIBUTE,
        what="Document",
    )


def _require_status(document: ControlledDocument, wanted: DocumentStatus, change: str) -> None:
    if document.status != wanted:
        current = DocumentStatus(document.status).name
        raise invalid(f"A {current} document cannot be {change}; it must be {wanted.name}.", ["id"])


def _require_not_obsolete(document: ControlledDocument) -> None:
    if document.status == DocumentStatus.OBSOLETE:
        raise invalid("An obsolete document is kept as it was; it cannot change.", ["id"])


async def _save(db: TenantSession, document: ControlledDocument) -> ControlledDocument:
    db.add(document)
    await db.commit()
    await db.refresh(document)
    return document


async def _save_metadata(db: TenantSession, document: ControlledDocument) -> ControlledDocument:
    """Save a new or changed code, which may clash with another document's."""
    async with conflict_on(db, "uq_controlled_documents_code", _code_taken()):
        return await _save(db, document)


# --- metadata -----------------------------------------------------------------------------


async def create_document(
    db: TenantSession, actor: Actor, values: DocumentFields
) -> ControlledDocument:
    """A new draft in the acting organization, without versions yet."""
    require_writer(db, actor, actor.tenant_id, "Document")
    require_given(values, "type", "code", "title")
    document = ControlledDocument(
        tenant_id=actor.tenant_id,
        status=DocumentStatus.DRAFT.value,
        review_interval_days=DEFAULT_REVIEW_DAYS,
    )
    await _write(db, document, values)
    return await _save_metadata(db, document)


async def update_document(
    db: TenantSession, actor: Actor, document_id: uuid.UUID, values: DocumentFields
) -> ControlledDocument:
    document = await _document_for_change(db, actor, document_id)
    _require_not_obsolete(document)
    await _write(db, document, values)
    return await _save_metadata(db, document)


async def _write(db: TenantSession, document: ControlledDocument, values: DocumentFields) -> None:
    if values.type is not KEEP:
        document.type = values.type.value
    if values.code is not KEEP:
        document.code = text_field(values.code, "code", CODE_LIMIT)
    if values.title is not KEEP:
        document.title = text_field(values.title, "title", TITLE_LIMIT)
    if values.owner_id is not KEEP:
        document.owner_id = await owner_member(db, document.tenant_id, values.owner_id, "ownerId")
    if values.review_interval_days is not KEEP:
        document.review_interval_days = _review_days(values.review_interval_days)


# --- versions -----------------------------------------------------------------------------


async def add_version(
    db: TenantSession,
    actor: Actor,
    document_id: uuid.UUID,
    change_summary: str,
    evidence_version_id: uuid.UUID | None = None,
) -> tuple[ControlledDocument, DocumentVersion]:
    """The next version, written by the actor. On an approved document this starts a
    revision: back to draft, while the approved version stays in force."""
    document = await _document_for_change(db, actor, document_id)
    if document.status not in (DocumentStatus.DRAFT, DocumentStatus.APPROVED):
        raise invalid(
            "Versions are added to drafts and approved documents; ask for changes on a"
            " document in review first.",
            ["documentId"],
        )
    if evidence_version_id is not None:
        await _available_evidence(db, document.tenant_id, evidence_version_id)
    latest = await _latest_version(db, document)
    version = DocumentVersion(
        tenant_id=document.tenant_id,
        document_id=document.id,
        number=(latest.number if latest else 0) + 1,
        evidence_version_id=evidence_version_id,
        change_summary=text_field(change_summary, "changeSummary", SUMMARY_LIMIT, blank=True),
        author_id=actor.user_id,
    )
    document.status = DocumentStatus.DRAFT.value
    db.add(version)
    await _save(db, document)
    await db.refresh(version)
    return document, version


async def _available_evidence(
    db: TenantSession, tenant_id: uuid.UUID, version_id: uuid.UUID
) -> EvidenceVersion:
    """A checked file of the document's own organization; anything else looks missing."""
    evidence = await db.get(EvidenceVersion, version_id)
    if evidence is None or evidence.tenant_id != tenant_id:
        raise not_found("Evidence version", ["evidenceVersionId"])
    if evidence.status != VersionStatus.AVAILABLE:
        raise invalid(
            "That file is not available: confirm its upload first.", ["evidenceVersionId"]
        )
    return evidence


async def _latest_version(
    db: TenantSession, document: ControlledDocument
) -> DocumentVersion | None:
    result: DocumentVersion | None = await db.scalar(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )
    return result


# --- lifecycle ----------------------------------------------------------------------------


async def submit_for_review(
    db: TenantSession, actor: Actor, document_id: uuid.UUID
) -> ControlledDocument:
    """Put the latest, unapproved version in front of a reviewer."""
    document = await _document_for_change(db, actor, document_id)
    _require_status(document, DocumentStatus.DRAFT, "submitted for review")
    latest = await _latest_version(db, document)
    if latest is None or latest.approved_at is not None:
        raise invalid("Add the version to review first.", ["id"])
    document.status = DocumentStatus.IN_REVIEW.value
    return await _save(db, document)


async def approve(db: TenantSession, actor: Actor, document_id: uuid.UUID) -> ControlledDocument:
    """Approve the version under review; it comes into force and the review clock restarts."""
    document = await _document_for_change(db, actor, document_id)
    require(actor, Permission.RUN_PROGRAMS)
    _require_status(document, DocumentStatus.IN_REVIEW, "approved")
    version = await _latest_version(db, document)
    if version is None:
        raise invalid("The document has no version to approve.", ["id"])
    if version.author_id == actor.user_id:
        raise forbidden(
            f"You wrote version {version.number}, so you cannot approve it: another manager"
            " or above must."
        )
    now = datetime.now(UTC)
    version.approver_id, version.approved_at = actor.user_id, now
    document.status, document.approved_at = DocumentStatus.APPROVED.value, now
    return await _save(db, document)


async def request_changes(
    db: TenantSession, actor: Actor, document_id: uuid.UUID
) -> ControlledDocument:
    """Send the version under review back to its authors."""
    document = await _document_for_change(db, actor, document_id)
    require(actor, Permission.RUN_PROGRAMS)
    _require_status(document, DocumentStatus.IN_REVIEW, "sent back")
    document.status = DocumentStatus.DRAFT.value
    return await _save(db, document)


async def make_obsolete(
    db: TenantSession, actor: Actor, document_id: uuid.UUID
) -> ControlledDocument:
    """Withdraw the document for good; it no longer covers any requirement."""
    document = await _document_for_change(db, actor, document_id)
    require(actor, Permission.RUN_PROGRAMS)
    _require_not_obsolete(document)
    document.status = DocumentStatus.OBSOLETE.value
    return await _save(db, document)


# --- requirements -------------------------------------------------------------------------


async def link_requirement(
    db: TenantSession,
    actor: Actor,
    document_id: uuid.UUID,
    program_id: uuid.UUID,
    requirement: RequirementRef,
) -> ControlledDocument:
    """The document serves a requirement of a program; linking twice changes nothing."""
    document, program, clause = await _link_target(db, actor, document_id, program_id, requirement)
    linked = await db.scalar(
        select(DocumentRequirement.id).where(*_link(document, program, clause))
    )
    if linked is None:
        await _check_room(db, document)
        db.add(
            DocumentRequirement(
                tenant_id=document.tenant_id,
                document_id=document.id,
                program_id=program.id,
                clause_id=clause.id,
            )
        )
    return await _save(db, document)


async def _check_room(db: TenantSession, document: ControlledDocument) -> None:
    count = await db.scalar(
        select(func.count()).where(DocumentRequirement.document_id == document.id)
    )
    if (count or 0) >= MAX_REQUIREMENTS:
        raise invalid(
            f"A document serves at most {MAX_REQUIREMENTS} requirements; unlink one first.",
            ["requirement"],
        )


async def unlink_requirement(
    db: TenantSession,
    actor: Actor,
    document_id: uuid.UUID,
    program_id: uuid.UUID,
    requirement: RequirementRef,
) -> ControlledDocument:
    document, program, clause = await _link_target(db, actor, document_id, program_id, requirement)
    await db.execute(delete(DocumentRequirement).where(*_link(document, program, clause)))
    return await _save(db, document)


def _link(
    document: ControlledDocument, program: Program, clause: Clause
) -> tuple[ColumnElement[bool], ...]:
    return (
        DocumentRequirement.document_id == document.id,
        DocumentRequirement.program_id == program.id,
        DocumentRequirement.clause_id == clause.id,
    )


async def _link_target(
    db: TenantSession,
    actor: Actor,
    document_id: uuid.UUID,
    program_id: uuid.UUID,
    requirement: RequirementRef,
) -> tuple[ControlledDocument, Program, Clause]:
    """A live document, a program of its organization, and a requirement of that program."""
    document = await _document_for_change(db, actor, document_id)
    _require_not_obsolete(document)
    program = await readable_program(db, program_id)
    if program.tenant_id != document.tenant_id:
        raise not_found("Program", ["programId"])
    named = (
        Clause.id == requirement
        if isinstance(requirement, uuid.UUID)
        else Clause.number == requirement.strip()
    )
    clause = await db.scalar(select(Clause).where(Clause.standard_id == program.standard_id, named))
    if clause is None:
        raise invalid("Not a requirement of this program's standard.", ["requirement"])
    return document, program, clause


# --- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFilter:
    status: DocumentStatus | None = None
    type: DocumentType | None = None
    review_due: bool | None = None
    organization: uuid.UUID | None = None


def documents_statement(
    where: DocumentFilter, on: date | None = None
) -> Select[ControlledDocument]:
    """Readable documents matching `where` (RLS and the ORM criteria bound the tenants); a
    review is due by `on`, or by each tenant's own today."""
    statement = select(ControlledDocument)
    if where.organization is not None:
        statement = statement.where(ControlledDocument.tenant_id == where.organization)
    if where.status is not None:
        statement = statement.where(ControlledDocument.status == where.status.value)
    if where.type is not None:
        statement = statement.where(ControlledDocument.type == where.type.value)
    if where.review_due is not None:
        due = review_due_sql(today_sql(ControlledDocument.tenant_id) if on is None else on)
        statement = statement.where(due if where.review_due else ~due)
    return statement


class Coverage(enum.StrEnum):
    """Why a mandatory item is or is not covered (the checklist's verdict per item)."""

    COVERED = "covered"
    MISSING = "missing"  # no document is linked to it
    NOT_APPROVED = "not_approved"  # linked documents, none with an approved version in force
    REVIEW_OVERDUE = "review_overdue"  # approved, but every approval in force is past review


@dataclass(frozen=True)
class MandatoryItem:
    clause: Clause
    documents: list[ControlledDocument]
    coverage: Coverage


def coverage_of(documents: Sequence[ControlledDocument], day: TenantDay) -> Coverage:
    if not documents:
        return Coverage.MISSING
    approved = [document for document in documents if in_force(document)]
    if not approved:
        return Coverage.NOT_APPROVED
    if all(is_review_due(document, day) for document in approved):
        return Coverage.REVIEW_OVERDUE
    return Coverage.COVERED


async def mandatory_documents(
    db: TenantSession, program: Program, day: TenantDay
) -> list[MandatoryItem]:
    """Every clause of the program's standard that asks for documented information, with the
    documents linked to it in this program: two statements, whatever the size."""
    clauses = await db.scalars(
        select(Clause)
        .where(Clause.standard_id == program.standard_id, Clause.documented_information)
        .order_by(Clause.position)
    )
    links = await db.execute(
        select(DocumentRequirement.clause_id, ControlledDocument)
        .join(ControlledDocument, ControlledDocument.id == DocumentRequirement.document_id)
        .where(DocumentRequirement.program_id == program.id)
        .order_by(ControlledDocument.code)
    )
    by_clause: dict[uuid.UUID, list[ControlledDocument]] = defaultdict(list)
    for clause_id, document in links:
        by_clause[clause_id].append(document)
    return [
        MandatoryItem(clause, by_clause[clause.id], coverage_of(by_clause[clause.id], day))
        for clause in clauses
    ]


# --- batch loads (one statement per batch, for the request's DataLoaders) -----------------


documents_by_id = by_id(ControlledDocument)
versions_by_id = by_id(DocumentVersion)


async def versions_of_documents(
    db: TenantSession, document_ids: Sequence[uuid.UUID]
) -> list[list[DocumentVersion]]:
    """Each document's versions, newest first."""
    rows = await db.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id.in_(document_ids))
        .order_by(DocumentVersion.number.desc())
    )
    grouped: dict[uuid.UUID, list[DocumentVersion]] = defaultdict(list)
    for row in rows:
        grouped[row.document_id].append(row)
    return [grouped[i] for i in document_ids]


async def requirements_of_documents(
    db: TenantSession, document_ids: Sequence[uuid.UUID]
) -> list[list[tuple[uuid.UUID, Clause]]]:
    """Each document's (program id, requirement) links, in the standard's order."""
    rows = await db.execute(
        select(DocumentRequirement.document_id, DocumentRequirement.program_id, Clause)
        .join(Clause, Clause.id == DocumentRequirement.clause_id)
        .where(DocumentRequirement.document_id.in_(document_ids))
        .order_by(Clause.position, DocumentRequirement.program_id)
    )
    grouped: dict[uuid.UUID, list[tuple[uuid.UUID, Clause]]] = defaultdict(list)
    for document_id, program_id, clause in rows:
        grouped[document_id].append((program_id, clause))
    return [grouped[i] for i in document_ids]
