"""Demo evidence, controlled documents and training for Acme's ISO 9001 program.

Files go through the real evidence flow (ticket, upload into the configured store, the
store's own check) so a newcomer can download them. Documents show every state: one
approved by the consultant, one in review, one draft. Training has a workshop held (with
its attendance) and a seminar still planned. Skipped when Acme already has evidence.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlalchemy import select

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.documents.models import DocumentType
from backend.documents.service import (
    DocumentFields,
    add_version,
    approve,
    create_document,
    link_requirement,
    submit_for_review,
)
from backend.evidence.local import LocalStore
from backend.evidence.models import EvidenceItem, EvidenceKind, EvidenceVersion
from backend.evidence.service import (
    FileDeclaration,
    Limits,
    LinkTarget,
    NewItem,
    confirm_upload,
    link_evidence,
    request_upload,
)
from backend.evidence.store import EvidenceStore, UploadTicket
from backend.programs.models import Program
from backend.runtime import Runtime
from backend.training.models import SessionStatus, TrainingType
from backend.training.service import (
    AttendanceFields,
    CompetenceFields,
    Person,
    SessionFields,
    create_competence,
    create_session,
    record_attendance,
)
from tenants.roles import Role
from tenants.scope import TenantScope


@dataclass(frozen=True)
class DemoFile:
    title: str
    kind: EvidenceKind
    requirement: str
    filename: str
    text: str
    valid_days: int


@dataclass(frozen=True)
class DemoDocument:
    code: str
    title: str
    kind: DocumentType
    requirements: tuple[str, ...]


# A procedure that serves a whole clause serves the clause and each of its parts (the
# mandatory-documents checklist lists both), as links to a divided clause are after a reload.
MANUAL = DemoDocument("QM-01", "Quality manual", DocumentType.MANUAL, ("4.3",))
CONTROL = DemoDocument(
    "QP-04",
    "Control of documented information",
    DocumentType.PROCEDURE,
    ("7.5.3", "7.5.3.1", "7.5.3.2"),
)
AUDIT = DemoDocument(
    "QP-07", "Internal audit procedure", DocumentType.PROCEDURE, ("9.2", "9.2.1", "9.2.2")
)

FILES = (
    DemoFile(
        "Signed quality policy",
        EvidenceKind.DOCUMENT,
        "5.2.1",
        "quality-policy.txt",
        "Acme Manufacturing quality policy, signed by the managing director.\n",
        365,
    ),
    DemoFile(
        "Calibration records, first half-year",
        EvidenceKind.RECORD,
        "7.1.5.2",
        "calibration-h1.csv",
        "instrument,calibrated_on,result\nPG-101,2026-02-03,pass\nPG-102,2026-02-03,pass\n",
        20,
    ),
    DemoFile(
        "Management review minutes",
        EvidenceKind.RECORD,
        "9.3.3",
        "management-review.txt",
        "Minutes of the management review: inputs, decisions and actions.\n",
        -10,
    ),
)


async def seed_evidence(
    runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID, consultant_id: uuid.UUID
) -> None:
    async with runtime.sessions() as db:
        await _act_as(db, owner_id, client_id)
        if await db.scalar(select(EvidenceItem.id).where(EvidenceItem.tenant_id == client_id)):
            return
        program = await db.scalar(
            select(Program).where(Program.tenant_id == client_id).order_by(Program.created_at)
        )
        if program is None:
            return
        owner = Actor(owner_id, client_id, Role.OWNER)
        versions = [await _upload(db, runtime, owner, program, demo_file) for demo_file in FILES]
        consultant = Actor(consultant_id, client_id, Role.CONSULTANT)
        await _documents(db, owner, consultant, program, versions)
        await _training(db, owner, program)


async def _act_as(db: TenantSession, user_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    await db.set_scope(TenantScope(user_id, frozenset({tenant_id}), tenant_id))


async def _upload(
    db: TenantSession, runtime: Runtime, actor: Actor, program: Program, demo_file: DemoFile
) -> EvidenceVersion:
    body = demo_file.text.encode()
    requested = await request_upload(
        db,
        runtime.evidence,
        Limits.of(runtime.settings),
        actor,
        target=NewItem(
            title=demo_file.title,
            kind=demo_file.kind.value,
            owner_id=actor.user_id,
            valid_until=date.today() + timedelta(days=demo_file.valid_days),
        ),
        declared=FileDeclaration(
            demo_file.filename,
            _content_type(demo_file.filename),
            len(body),
            hashlib.sha256(body).hexdigest(),
        ),
    )
    await _send(runtime.evidence, requested.ticket, body)
    version = await confirm_upload(db, runtime.evidence, actor, requested.version.id)
    target = LinkTarget(program_id=program.id, requirement=demo_file.requirement)
    await link_evidence(db, actor, version.evidence_id, target)
    return version


def _content_type(filename: str) -> str:
    return "text/csv" if filename.endswith(".csv") else "text/plain"


async def _send(store: EvidenceStore, ticket: UploadTicket, body: bytes) -> None:
    """What a client does with the ticket. The local store receives in-process, since no
    server is listening while the demo is seeded."""
    if isinstance(store, LocalStore):
        token = ticket.url.rsplit("/", 1)[-1]
        await store.receive(token, ticket.headers["Content-Type"], len(body), _chunks(body))
        return
    async with httpx.AsyncClient() as client:
        response = await client.request(
            ticket.method, ticket.url, content=body, headers=ticket.headers
        )
        response.raise_for_status()


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def _documents(
    db: TenantSession,
    owner: Actor,
    consultant: Actor,
    program: Program,
    versions: list[EvidenceVersion],
) -> None:
    """One document approved (by the consultant: authors never approve), one in review, one
    draft."""
    manual = await _draft(db, owner, program, MANUAL, versions[0])
    await submit_for_review(db, owner, manual)
    await _act_as(db, consultant.user_id, consultant.tenant_id)
    await approve(db, consultant, manual)
    await _act_as(db, owner.user_id, owner.tenant_id)
    await submit_for_review(db, owner, await _draft(db, owner, program, CONTROL))
    await _draft(db, owner, program, AUDIT)


async def _draft(
    db: TenantSession,
    owner: Actor,
    program: Program,
    document: DemoDocument,
    file: EvidenceVersion | None = None,
) -> uuid.UUID:
    fields = DocumentFields(
        type=document.kind, code=document.code, title=document.title, owner_id=owner.user_id
    )
    created = await create_document(db, owner, fields)
    await add_version(db, owner, created.id, "First issue.", file.id if file else None)
    for requirement in document.requirements:
        await link_requirement(db, owner, created.id, program.id, requirement)
    return created.id


async def _training(db: TenantSession, owner: Actor, program: Program) -> None:
    workshop = await create_session(
        db,
        owner,
        program.id,
        SessionFields(
            type=TrainingType.WORKSHOP.value,
            topic="What ISO 9001 asks of everyone on the shop floor",
            held_on=date.today() - timedelta(days=7),
            duration_minutes=120,
            trainer="Noah Northwind",
            status=SessionStatus.HELD.value,
            requirements=["7.2", "7.3"],
        ),
    )
    attendees = (
        (Person(user_id=owner.user_id), "managing director"),
        (Person(name="Sam Ortiz"), "machine operator"),
    )
    for person, job_role in attendees:
        done = AttendanceFields(job_role=job_role, attended=True, passed=True)
        await record_attendance(db, owner, workshop.id, person, done)
    await create_session(
        db,
        owner,
        program.id,
        SessionFields(
            type=TrainingType.SEMINAR.value,
            topic="Running internal audits",
            held_on=date.today() + timedelta(days=21),
            duration_minutes=240,
            trainer="Noah Northwind",
            requirements=["9.2", "9.2.1", "9.2.2"],
        ),
    )
    await create_competence(
        db,
        owner,
        program.id,
        CompetenceFields(
            job_role="machine operator",
            competence="Sets up and checks a pump test bench following the work instruction.",
        ),
    )
