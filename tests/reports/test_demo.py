"""The demo's reports: a ready readiness report of Acme's ISO 9001 program and the internal
audit report of its signed audit, their files stored with their SHA-256, and no second one
when the demo is seeded again; and every spreadsheet exported from the demo data, with its
render time and size."""

from __future__ import annotations

import hashlib
import io
import uuid

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.demo import ACME, ACME_OWNER, seed_demo
from backend.reports.models import ReportFile, ReportKind
from backend.reports.service import Subject, export_spreadsheet, generate_report, render_pending
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

REPORTS = """
SELECT r.kind::text, r.status::text, r.sha256, r.size_bytes, r.pages, r.render_ms, f.content,
       o.name
FROM reports r JOIN report_files f ON f.report_id = r.id
JOIN organizations o ON o.id = r.tenant_id ORDER BY r.kind
"""
TITLES = {
    "readiness": "Readiness report: ISO 9001:2015",
    "internal_audit": "Internal audit report: IA-",
}


async def test_the_demo_has_a_readiness_report_and_an_internal_audit_report(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again makes no second report
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(REPORTS))]
    assert sorted(row[0] for row in rows) == ["internal_audit", "readiness"]
    for kind, status, sha256, size, pages, render_ms, content, organization in rows:
        assert (status, size, hashlib.sha256(content).hexdigest()) == (
            "ready",
            len(content),
            sha256,
        )
        pdf = PdfReader(io.BytesIO(content))
        assert len(pdf.pages) == pages
        first = pdf.pages[0].extract_text()
        assert organization in first
        assert TITLES[kind] in first
        assert "No readiness score has been stored yet." not in first
        print(f"demo {kind} report: {render_ms} ms, {size} bytes, {pages} pages")


KINDS = (
    ReportKind.GAP_ANALYSIS,
    ReportKind.STATEMENT_OF_APPLICABILITY,
    ReportKind.FINDINGS,
    ReportKind.ACTION_PLAN,
    ReportKind.REGISTERS,
)
PROGRAMS = "SELECT p.id, s.code FROM programs p JOIN standards s ON s.id = p.standard_id"


async def test_every_spreadsheet_exports_from_the_demo_data(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    async with owner_engine.connect() as connection:
        owner = await connection.scalar(
            text("SELECT id FROM users WHERE email = :email"), {"email": ACME_OWNER}
        )
        found = await connection.execute(
            text(f"{PROGRAMS} WHERE p.tenant_id = :acme"), {"acme": ACME.id}
        )
        programs = {code: program_id for program_id, code in found}
    actor = Actor(owner, ACME.id, Role.OWNER)
    measured = {}
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner, frozenset({ACME.id}), ACME.id))
        for kind in KINDS:
            for code, program_id in sorted(programs.items()):
                if kind is ReportKind.STATEMENT_OF_APPLICABILITY and code != "ISO/IEC 27001":
                    continue  # refused: only ISO/IEC 27001 has annex controls
                report = await export_spreadsheet(db, actor, kind, program_id)
                book = load_workbook(io.BytesIO(await _content(db, report.id)))
                assert report.pages == len(book.sheetnames) >= 1, kind
                rows = sum(sheet.max_row - 1 for sheet in book.worksheets)
                measured[(kind.value, code)] = (report.render_ms, report.size_bytes, rows)
        report = await generate_report(
            db,
            actor,
            ReportKind.STATEMENT_OF_APPLICABILITY,
            Subject(program_id=programs["ISO/IEC 27001"]),
        )
    async with runtime.acting_in(ACME.id) as db:
        rendered = await render_pending(db, report.id)
        await db.commit()
    assert rendered is not None
    assert rendered.status == "ready"
    controls = " ".join(
        "".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(await _content_of(owner_engine, report.id))).pages
        ).split()
    )
    assert "A.5.1" in controls
    assert "A.8.34" in controls  # the last control of the annex
    soa = (rendered.render_ms, rendered.size_bytes, rendered.pages)
    print("demo statement of applicability PDF (ms, bytes, pages):", soa)
    for kind in KINDS:  # every kind has rows in one program of the demo at least
        assert any(rows for (name, _), (_, _, rows) in measured.items() if name == kind), kind
    print("demo exports (ms, bytes, rows):", measured)


async def _content_of(owner_engine: AsyncEngine, report_id: uuid.UUID) -> bytes:
    async with owner_engine.connect() as connection:
        content: bytes = await connection.scalar(
            text("SELECT content FROM report_files WHERE report_id = :id"), {"id": report_id}
        )
    return content


async def _content(db: TenantSession, report_id: uuid.UUID) -> bytes:
    content = await db.scalar(select(ReportFile.content).where(ReportFile.report_id == report_id))
    assert content is not None
    return content
