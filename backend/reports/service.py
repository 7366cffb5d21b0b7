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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Select, select

from backend.catalog.models import Standard
from backend.core.access import Actor, readable
from backend.core.calendar import local_today
from backend.core.errors import invalid, not_found
from backend.core.signing import Signer
from backend.db.session import TenantSession
from backend.jobs.outbox import enqueue
from backend.programs.models import Program
from backend.programs.service import writable_program
from backend.reports.models import Report, ReportFile, ReportFormat, ReportKind, ReportStatus
from backend.reports.pdf import Masthead, readiness_pdf, sheet_pdf
from backend.reports.readiness import readiness_facts
from backend.reports.sheets import EXPORTS, Source, statement_of_applicability
from backend.reports.workbook import workbook_bytes
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
    report = await _new_report(db, actor, program, kind, ReportFormat.XLSX)
    _finish(db, report, Rendered(content, count), started)
    await db.commit()
    return report


async def generate_report(
    db: TenantSession, actor: Actor, kind: ReportKind, program_id: uuid.UUID
) -> Report:
    """Queue a PDF report of the program: pending now, rendered by the job."""
    if kind not in DOCUMENTS:
        raise invalid(f"{_words(kind)} is a spreadsheet only: use exportSpreadsheet.", ["kind"])
    program = await writable_program(db, actor, program_id)
    if kind is ReportKind.STATEMENT_OF_APPLICABILITY:  # refused now, not in the job
        await statement_of_applicability(Source(db, program.id, "UTC"))
    report = await _new_report(db, actor, program, kind, ReportFormat.PDF)
    await enqueue(db, RENDER_JOB, program.tenant_id, {"report": str(report.id)})
    await db.commit()
    return report


async def render_pending(db: TenantSession, report_id: uuid.UUID) -> Report | None:
    """Render a pending report (the job's work; the demo calls it directly). A report
    already rendered is left alone, so a job delivered twice renders once. A failure of
    the drawing itself would fail again on every retry: it marks the report FAILED."""
    report = await db.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None or report.status != ReportStatus.PENDING.value:
        return report
    program = await db.get(Program, report.program_id)
    organization = await db.get(Organization, report.tenant_id)
    if program is None or organization is None:  # deleted since: the report went with it
        return None
    started = time.perf_counter()
    masthead = Masthead(
        organization.name,
        local_today(organization.timezone),
        report.id,
        _words(ReportKind(report.kind)),
    )
    draw = await DOCUMENTS[ReportKind(report.kind)](db, program, masthead, organization.timezone)
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


async def _readiness(
    db: TenantSession, program: Program, masthead: Masthead, _timezone: str
) -> Drawing:
    facts = await readiness_facts(db, program, masthead.organization, masthead.today)
    return functools.partial(readiness_pdf, facts, masthead.report_id)


async def _statement(db: TenantSession, program: Program, masthead: Masthead, zone: str) -> Drawing:
    [sheet] = await statement_of_applicability(Source(db, program.id, zone))
    standard = await db.get(Standard, program.standard_id)
    named = f"{standard.code}:{standard.edition}" if standard else ""
    title = f"Statement of Applicability: {named}"
    return functools.partial(sheet_pdf, masthead, title, sheet)


Renderer = Callable[[TenantSession, Program, Masthead, str], Awaitable[Drawing]]
DOCUMENTS: dict[ReportKind, Renderer] = {
    ReportKind.READINESS: _readiness,
    ReportKind.STATEMENT_OF_APPLICABILITY: _statement,
}
"""The PDF kinds: each reads its facts in the session, then draws off the event loop."""


async def _new_report(
    db: TenantSession, actor: Actor, program: Program, kind: ReportKind, format: ReportFormat
) -> Report:
    today = local_today(await _timezone(db, program.tenant_id))
    standard = await db.get(Standard, program.standard_id)
    named = f"{standard.code} {standard.edition}" if standard else "program"
    report = Report(
        id=uuid.uuid4(),
        tenant_id=program.tenant_id,
        program_id=program.id,
        kind=kind.value,
        format=format.value,
        status=ReportStatus.PENDING.value,
        requested_by_id=actor.user_id,
        filename=f"{_slug(f'{_words(kind)} {named}')}-{today.isoformat()}.{format.value}",
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
    if program_id is not None:
        statement = statement.where(Report.program_id == program_id)
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
