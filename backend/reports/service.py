"""Making reports and handing them out.

A spreadsheet export is rendered in the request (a few statements and openpyxl's streaming
writer); a PDF report is queued for a job through the outbox, since drawing its charts takes
seconds. Either way the finished bytes are stored once with their SHA-256 and the report is
downloaded through a short-lived signed URL, like evidence.

Making a report stores it in the organization, so it takes a role that may contribute and
the tenant the caller acts in; viewers and auditors read and download the reports others
made (their scope has no write tenant, so the database would refuse them anyway).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from sqlalchemy import Select, select

from backend.audits.models import Audit, ChecklistLine
from backend.catalog.models import Standard
from backend.core.access import Actor, readable, require_writer
from backend.core.calendar import local_today
from backend.core.errors import invalid, not_found
from backend.core.signing import Signer
from backend.db.base import Base
from backend.db.session import TenantSession
from backend.jobs.outbox import enqueue
from backend.programs.models import Program
from backend.programs.service import writable_program
from backend.reports.audit import audit_facts
from backend.reports.models import Report, ReportFile, ReportFormat, ReportKind, ReportStatus
from backend.reports.pdf import Masthead, readiness_pdf, sheet_pdf
from backend.reports.readiness import readiness_facts
from backend.reports.review import review_facts
from backend.reports.sheets import EXPORTS, Source, statement_of_applicability
from backend.reports.signed import audit_pdf, review_pdf
from backend.reports.workbook import workbook_bytes
from backend.reviews.models import ManagementReview, ReviewProgram
from tenants.models import Organization

log = structlog.get_logger("certready.reports")

RENDER_JOB = "reports.render"
DOWNLOAD = "report-download"
"""The purpose a download token is signed for; no other token opens a report."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {ReportFormat.XLSX: XLSX, ReportFormat.PDF: "application/pdf"}


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pages: int  # PDF pages, or sheets of a workbook


async def export_spreadsheet(
    db: TenantSession, actor: Actor, kind: ReportKind, program_id: uuid.UUID
) -> Report:
    """Render the program's `kind` workbook now and store it as a ready report."""
    export = EXPORTS.get(kind)
    if export is None:
        raise invalid(f"{_words(kind)} is a PDF report: use generateReport.", ["kind"])
    program = await writable_program(db, actor, program_id)
    started = time.perf_counter()
    sheets = await export(Source(db, program.id, await _timezone(db, program.tenant_id)))
    content, count = await asyncio.to_thread(workbook_bytes, sheets)
    target = Target([program], await _standard_name(db, program))
    report = await _new_report(db, actor, target, kind, ReportFormat.XLSX)
    _finish(db, report, Rendered(content, count), started)
    await db.commit()
    return report


@dataclass(frozen=True)
class Subject:
    """What a PDF report is of, as asked: one of these, one its kind may be of."""

    program_id: uuid.UUID | None = None
    program_ids: Sequence[uuid.UUID] | None = None  # an integrated management system
    audit_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None

    def given(self) -> list[str]:
        """The input fields given."""
        values = {
            "programId": self.program_id,
            "programIds": self.program_ids,
            "auditId": self.audit_id,
            "reviewId": self.review_id,
        }
        return [field for field, value in values.items() if value is not None]


SUBJECTS: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.READINESS: ("programId", "programIds"),
    ReportKind.INTERNAL_AUDIT: ("auditId",),
    ReportKind.MANAGEMENT_REVIEW: ("reviewId",),
}
"""The subject fields a kind accepts (one of them); the others are of one program."""
MAX_PROGRAMS = 10  # of an integrated system: one per standard is the most a tenant runs


@dataclass(frozen=True)
class Target:
    """A subject found and checked: the report's programs (an audit's or review's first),
    the audit or review itself, and how the file is named."""

    programs: Sequence[Program]
    named: str
    audit_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None

    @property
    def program(self) -> Program:
        return self.programs[0]


async def generate_report(
    db: TenantSession, actor: Actor, kind: ReportKind, subject: Subject
) -> Report:
    """Queue a PDF report of its subject: pending now, rendered by the job."""
    if kind not in DOCUMENTS:
        raise invalid(f"{_words(kind)} is a spreadsheet only: use exportSpreadsheet.", ["kind"])
    target = await _target(db, actor, kind, subject)
    if kind is ReportKind.STATEMENT_OF_APPLICABILITY:  # refused now, not in the job
        await statement_of_applicability(Source(db, target.program.id, "UTC"))
    report = await _new_report(db, actor, target, kind, ReportFormat.PDF)
    await enqueue(db, RENDER_JOB, target.program.tenant_id, {"report": str(report.id)})
    await db.commit()
    return report


async def _target(db: TenantSession, actor: Actor, kind: ReportKind, subject: Subject) -> Target:
    """The one subject the kind asks for, readable and in the tenant the actor writes in;
    a missing, extra or other subject is refused before anything is written."""
    allowed = SUBJECTS.get(kind, ("programId",))
    given = subject.given()
    if len(given) != 1 or given[0] not in allowed:
        extra = [field for field in given if field not in allowed] or given[1:] or [allowed[0]]
        nouns = " or ".join(NOUNS[field] for field in allowed)
        raise invalid(
            f"{_words(kind)} reports are of {nouns}: give {' or '.join(allowed)} only.",
            [extra[0]],
        )
    if subject.audit_id is not None:
        return await _audit_target(db, actor, subject.audit_id)
    if subject.review_id is not None:
        return await _review_target(db, actor, subject.review_id)
    named = subject.program_ids if subject.program_ids is not None else [subject.program_id]
    return await _programs_target(db, actor, [p for p in named if p is not None], given[0])


NOUNS = {
    "programId": "one program",
    "programIds": "the programs of an integrated management system",
    "auditId": "one audit",
    "reviewId": "one management review",
}


async def _programs_target(
    db: TenantSession, actor: Actor, program_ids: Sequence[uuid.UUID], field: str
) -> Target:
    """Programs of the organization the actor writes in, each named once."""
    if not 1 <= len(program_ids) <= MAX_PROGRAMS:
        raise invalid(f"Name 1 to {MAX_PROGRAMS} programs.", [field])
    if len(set(program_ids)) != len(program_ids):
        raise invalid("Name each program once.", [field])
    programs = []
    for program_id in program_ids:
        program = await readable(db, Program, program_id, "Program", field)
        require_writer(db, actor, program.tenant_id, "Program")
        programs.append(program)
    names = [await _standard_name(db, program) for program in programs]
    return Target(programs, " ".join(names))


async def _audit_target(db: TenantSession, actor: Actor, audit_id: uuid.UUID) -> Target:
    audit = await readable(db, Audit, audit_id, "Audit", "auditId")
    require_writer(db, actor, audit.tenant_id, "Audit")
    first = await db.scalar(
        select(ChecklistLine.program_id)
        .where(ChecklistLine.audit_id == audit.id)
        .order_by(ChecklistLine.position)
        .limit(1)
    )
    if first is None:
        raise invalid("The audit has no checklist yet: plan its scope first.", ["auditId"])
    program = await writable_program(db, actor, first)
    return Target([program], audit.reference, audit_id=audit.id)


async def _review_target(db: TenantSession, actor: Actor, review_id: uuid.UUID) -> Target:
    review = await readable(db, ManagementReview, review_id, "Management review", "reviewId")
    require_writer(db, actor, review.tenant_id, "Management review")
    first = await db.scalar(
        select(ReviewProgram.program_id)
        .where(ReviewProgram.review_id == review.id)
        .order_by(ReviewProgram.position)
        .limit(1)
    )
    if first is None:
        raise invalid("The review serves no program yet.", ["reviewId"])
    program = await writable_program(db, actor, first)
    return Target(
        [program], review.held_on.isoformat() if review.held_on else "", review_id=review.id
    )


async def render_pending(db: TenantSession, report_id: uuid.UUID) -> Report | None:
    """Render a pending report (the job's work; the demo calls it directly). A report
    already rendered is left alone, so a job delivered twice renders once. A failure of
    the drawing itself would fail again on every retry: it marks the report FAILED."""
    report = await db.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None or report.status != ReportStatus.PENDING.value:
        return report
    organization = await db.get(Organization, report.tenant_id)
    if organization is None:  # deleted since: the report went with it
        return None
    started = time.perf_counter()
    masthead = Masthead(
        organization.name,
        local_today(organization.timezone),
        report.id,
        _words(ReportKind(report.kind)),
    )
    draw = await DOCUMENTS[ReportKind(report.kind)](db, report, masthead, organization.timezone)
    try:
        content, pages = await asyncio.to_thread(draw)
    except Exception:
        log.exception("report rendering failed", report_id=str(report.id))
        report.status = ReportStatus.FAILED.value
        report.failure = "The document could not be drawn."
        report.finished_at = datetime.now(UTC)
        return report
    _finish(db, report, Rendered(content, pages), started)
    await db.flush()
    return report


Drawing = Callable[[], tuple[bytes, int]]


Row = TypeVar("Row", bound=Base)


async def _subject(db: TenantSession, model: type[Row], row_id: uuid.UUID | None) -> Row:
    """The report's subject; its foreign key deletes the report with it, so it is there."""
    row = None if row_id is None else await db.get(model, row_id)
    if row is None:
        raise LookupError(f"{model.__name__} {row_id} of a pending report is gone")
    return row


async def _readiness(db: TenantSession, report: Report, masthead: Masthead, _zone: str) -> Drawing:
    """One chapter per program the report covers (several for an integrated system); a
    program deleted since it was queued is left out (the first one takes the report)."""
    found = await db.scalars(select(Program).where(Program.id.in_(report.program_ids)))
    programs = {program.id: program for program in found}
    facts = [
        await readiness_facts(db, programs[program_id], masthead.organization, masthead.today)
        for program_id in report.program_ids
        if program_id in programs
    ]
    return functools.partial(readiness_pdf, facts, masthead.report_id)


async def _statement(db: TenantSession, report: Report, masthead: Masthead, zone: str) -> Drawing:
    program = await _subject(db, Program, report.program_id)
    [sheet] = await statement_of_applicability(Source(db, program.id, zone))
    title = f"Statement of Applicability: {await _standard_name(db, program, ':')}"
    return functools.partial(sheet_pdf, masthead, title, sheet)


async def _audit(db: TenantSession, report: Report, masthead: Masthead, _zone: str) -> Drawing:
    facts = await audit_facts(db, await _subject(db, Audit, report.audit_id))
    return functools.partial(audit_pdf, masthead, facts)


async def _review(db: TenantSession, report: Report, masthead: Masthead, _zone: str) -> Drawing:
    facts = await review_facts(db, await _subject(db, ManagementReview, report.review_id))
    return functools.partial(review_pdf, masthead, facts)


Renderer = Callable[[TenantSession, Report, Masthead, str], Awaitable[Drawing]]
DOCUMENTS: dict[ReportKind, Renderer] = {
    ReportKind.READINESS: _readiness,
    ReportKind.STATEMENT_OF_APPLICABILITY: _statement,
    ReportKind.INTERNAL_AUDIT: _audit,
    ReportKind.MANAGEMENT_REVIEW: _review,
}
"""The PDF kinds: each reads its facts in the session, then draws off the event loop."""


async def _standard_name(db: TenantSession, program: Program, separator: str = " ") -> str:
    standard = await db.get(Standard, program.standard_id)
    return f"{standard.code}{separator}{standard.edition}" if standard else "program"


async def _new_report(
    db: TenantSession, actor: Actor, target: Target, kind: ReportKind, format: ReportFormat
) -> Report:
    program = target.program
    today = local_today(await _timezone(db, program.tenant_id))
    report = Report(
        id=uuid.uuid4(),
        tenant_id=program.tenant_id,
        program_id=program.id,
        program_ids=[row.id for row in target.programs],
        audit_id=target.audit_id,
        review_id=target.review_id,
        kind=kind.value,
        format=format.value,
        status=ReportStatus.PENDING.value,
        requested_by_id=actor.user_id,
        filename=f"{_slug(f'{_words(kind)} {target.named}')}-{today.isoformat()}.{format.value}",
        failure="",
    )
    db.add(report)
    await db.flush()
    return report


def _finish(db: TenantSession, report: Report, rendered: Rendered, started: float) -> None:
    """The report is ready: its bytes stored once, measured, never rendered again."""
    db.add(ReportFile(report_id=report.id, tenant_id=report.tenant_id, content=rendered.content))
    report.status = ReportStatus.READY.value
    report.size_bytes = len(rendered.content)
    report.sha256 = hashlib.sha256(rendered.content).hexdigest()
    report.pages = rendered.pages
    report.render_ms = round((time.perf_counter() - started) * 1000)
    report.finished_at = datetime.now(UTC)


async def _timezone(db: TenantSession, tenant_id: uuid.UUID) -> str:
    timezone = await db.scalar(select(Organization.timezone).where(Organization.id == tenant_id))
    return timezone or "UTC"


def reports_statement(
    program_id: uuid.UUID | None, kind: ReportKind | None, organization: uuid.UUID | None
) -> Select[Report]:
    statement = select(Report)
    if program_id is not None:  # every report covering it, integrated ones too
        statement = statement.where(Report.program_ids.contains([program_id]))
    if kind is not None:
        statement = statement.where(Report.kind == kind.value)
    if organization is not None:
        statement = statement.where(Report.tenant_id == organization)
    return statement


# --- downloads ---------------------------------------------------------------------------


def download_url(signer: Signer, base_url: str, report: Report, ttl_seconds: int) -> str | None:
    """A signed GET of a ready report's file; None while it is not ready."""
    if report.status != ReportStatus.READY.value:
        return None
    token = signer.sign(DOWNLOAD, ttl_seconds, report=str(report.id), tenant=str(report.tenant_id))
    return f"{base_url}/reports/download/{token}"


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


async def download(db: TenantSession, report_id: uuid.UUID) -> Download:
    """The file of a ready report the scope reads."""
    report = await readable(db, Report, report_id, "Report")
    content = await db.scalar(select(ReportFile.content).where(ReportFile.report_id == report.id))
    if content is None:
        raise not_found("Report")
    return Download(report.filename, CONTENT_TYPES[ReportFormat(report.format)], content)


def _words(kind: ReportKind) -> str:
    return kind.value.replace("_", " ").capitalize()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
