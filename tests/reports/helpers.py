"""Calling the reports API and reading back what it hands out."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.jobs.worker import Executor
from backend.settings import Settings
from tests.support import Client, gql

ERRORS = "errors { field code message }"
REPORT = (
    "id kind format status filename sizeBytes sha256 pages renderMs failure downloadUrl"
    " program { id } programs { id } audit { id } review { id } requestedBy { name }"
)
EXPORT = f"""
mutation($input: ExportSpreadsheetInput!) {{
  exportSpreadsheet(input: $input) {{ report {{ {REPORT} }} {ERRORS} }}
}}
"""
REPORTS = f"""
query($programId: ID, $kind: ReportKind, $organization: ID) {{
  reports(programId: $programId, kind: $kind, organization: $organization) {{
    totalCount edges {{ node {{ {REPORT} }} }}
  }}
}}
"""
REPORT_BY_ID = f"query($id: ID!) {{ report(id: $id) {{ {REPORT} }} }}"
GENERATE = f"""
mutation($input: GenerateReportInput!) {{
  generateReport(input: $input) {{ report {{ {REPORT} }} {ERRORS} }}
}}
"""


async def export(
    client: Client, kind: str, program: str, *, token: str, tenant: str
) -> dict[str, Any]:
    """The payload of exportSpreadsheet (report and errors)."""
    variables = {"input": {"kind": kind, "programId": program}}
    body = await gql(client, EXPORT, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["exportSpreadsheet"]
    return payload


async def read(client: Client, document: str, token: str, tenant: str, **variables: Any) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


async def fetch(client: Client, url: str) -> bytes:
    """GET a download URL (its path: the test client is the server)."""
    path = url[url.index("/reports/download/") :]
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.content


def workbook(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def run_jobs(settings: Settings, owner_engine: AsyncEngine) -> None:
    """Every render job, through the worker's own executor (its runtime, its scope)."""
    async with owner_engine.connect() as connection:
        found = await connection.execute(
            text("SELECT id, tenant_id FROM job_outbox WHERE job = 'reports.render'")
        )
        pending = found.all()
    assert pending
    executor = Executor(settings, {job.name: job for job in features.jobs()})
    try:
        for outbox_id, tenant_id in pending:
            await executor.run(outbox_id, tenant_id)
    finally:
        await executor.close()


def pdf_text(content: bytes) -> list[str]:
    """Each page's text with its whitespace folded (table cells wrap where they like)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]
