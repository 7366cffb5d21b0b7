"""The demo's report: one ready readiness report of Acme's ISO 9001 program, its file
stored with its SHA-256, and no second one when the demo is seeded again."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import seed_demo
from backend.runtime import Runtime

REPORTS = """
SELECT r.kind::text, r.status::text, r.sha256, r.size_bytes, r.pages, r.render_ms, f.content,
       o.name
FROM reports r JOIN report_files f ON f.report_id = r.id
JOIN organizations o ON o.id = r.tenant_id
"""


async def test_the_demo_has_one_generated_readiness_report(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again makes no second report
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(REPORTS))]
    [(kind, status, sha256, size, pages, render_ms, content, organization)] = rows
    assert (kind, status, size, hashlib.sha256(content).hexdigest()) == (
        "readiness",
        "ready",
        len(content),
        sha256,
    )
    pdf = PdfReader(io.BytesIO(content))
    assert len(pdf.pages) == pages
    first = pdf.pages[0].extract_text()
    assert organization in first
    assert "Readiness report: ISO 9001:2015" in first
    assert "No readiness score has been stored yet." not in first
    print(f"demo readiness report: {render_ms} ms, {size} bytes, {pages} pages")
