"""The PDF readiness report: queued by generateReport, rendered by the real job executor,
read back with pypdf (pages, headings, figures, the organization, date and id on every page)
and page 1 rendered to pixels with pypdfium2; who may generate; a job delivered twice."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.certification import schedule
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.demo import GLOBEX, GLOBEX_OWNER, seed_demo
from backend.findings import service as findings
from backend.readiness.models import ReadinessSnapshot
from backend.runtime import Runtime
from backend.settings import Settings
from tests.findings.helpers import TODAY, nonconformity
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, iso_program
from tests.reports.helpers import (
    GENERATE,
    REPORT_BY_ID,
    REPORTS,
    codes,
    fetch,
    pdf_text,
    read,
    run_jobs,
)
from tests.support import LOGIN, Client, global_id, gql, login

SCORES = (40.0, 47.0, 54.0, 61.5)  # weekly, a point a day: a forecast with dates


async def generate(
    client: Client, plan: Plan, kind: str, *, token: str, org: str = "a"
) -> dict[str, Any]:
    variables = {"input": {"kind": kind, "programId": plan.program_gid("a")}}
    body = await gql(client, GENERATE, variables, token=token, tenant=plan.org_gid(org))
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["generateReport"]
    return payload


async def seed_snapshots(owner_engine: AsyncEngine, plan: Plan) -> None:
    now = datetime.now(UTC)
    groups = [{"clause": "7", "score": 75.0}, {"clause": "8", "score": 50.0}]
    blockers = [
        {
            "message": "Assess requirement 9.2",
            "kind": "requirement",
            "object_type": "Requirement",
            "object_id": str(uuid.uuid4()),
            "points": 4.2,
            "caps": False,
        }
    ]
    async with AsyncSession(owner_engine) as db:
        db.add_all(
            ReadinessSnapshot(
                tenant_id=plan.orgs["a"],
                program_id=plan.programs["a"],
                score=score,
                level="in_progress",
                breakdown={"components": [], "groups": groups, "blockers": blockers},
                computed_at=now - timedelta(weeks=len(SCORES) - 1 - week),
            )
            for week, score in enumerate(SCORES)
        )
        await db.commit()


async def test_a_generated_readiness_report_is_a_real_document_with_the_api_figures(
    *,
    client: Client,
    plan: Plan,
    owner_engine: AsyncEngine,
    session: TenantSession,
    owner_a: Actor,
    migrated: Settings,
) -> None:
    await seed_snapshots(owner_engine, plan)
    finding = await findings.raise_finding(
        session, owner_a, "internal_audit", nonconformity(plan, "8.5.1")
    )
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    queued = await generate(client, plan, "READINESS", token=token)
    assert queued["errors"] == []
    report = queued["report"]
    assert (report["status"], report["format"], report["downloadUrl"]) == ("PENDING", "PDF", None)

    await run_jobs(migrated, owner_engine)
    ready = (await read(client, REPORT_BY_ID, token, tenant, id=report["id"]))["report"]
    assert ready["status"] == "READY"
    content = await fetch(client, ready["downloadUrl"])
    assert hashlib.sha256(content).hexdigest() == ready["sha256"]
    assert len(content) == ready["sizeBytes"]

    pdf = PdfReader(io.BytesIO(content))
    assert len(pdf.pages) == ready["pages"] >= 2
    report_id = base64.b64decode(report["id"]).decode().partition(":")[2]
    pages = [page.extract_text() for page in pdf.pages]
    for number, page in enumerate(pages, start=1):
        assert "Alpha Industries" in page, number
        assert TODAY.isoformat() in page, number
        assert f"Report {report_id}" in page, number
        assert f"Page {number}" in page, number
    whole = "\n".join(pages)
    headings = ("Readiness report", "Score", "By clause", "Blockers", "The seven steps")
    for heading in (*headings, "Certification cycle"):
        assert heading in whole, heading
    assert "Score 61.5 of 100, level in progress" in whole
    assert "(4 stored scores)" in whole
    assert "Stage 2 readiness is likely on" in whole
    assert "Assess requirement 9.2" in whole
    assert "1. Gap analysis" in whole
    assert "Open findings (1)" in whole
    assert finding.reference in whole
    assert "No certificate has been decided for this program yet." in whole
    measured = (ready["renderMs"], ready["sizeBytes"], ready["pages"])
    print("readiness report (ms, bytes, pages):", measured)

    page = pypdfium2.PdfDocument(content)[0]
    image = page.render(scale=1).to_pil()
    assert image.size[0] in (595, 596)  # A4 at 72 dpi, rounded up or down
    assert image.size[1] in (841, 842)
    darkest, lightest = image.convert("L").getextrema()
    assert (darkest < 100, lightest >= 250) == (True, True)  # ink on paper, not a blank page


async def test_a_job_delivered_twice_renders_once(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    report = (await generate(client, plan, "READINESS", token=token))["report"]
    await run_jobs(migrated, owner_engine)
    first = (await read(client, REPORT_BY_ID, token, tenant, id=report["id"]))["report"]
    async with owner_engine.begin() as connection:  # the relay sends it again
        await connection.execute(text("UPDATE job_outbox SET status = 'pending'"))
    await run_jobs(migrated, owner_engine)
    again = (await read(client, REPORT_BY_ID, token, tenant, id=report["id"]))["report"]
    assert (again["status"], again["sha256"]) == ("READY", first["sha256"])
    assert (
        "No readiness score has been stored yet."
        in PdfReader(io.BytesIO(await fetch(client, again["downloadUrl"]))).pages[0].extract_text()
    )


async def test_only_writers_of_the_organization_generate_and_kinds_are_checked(
    *, client: Client, plan: Plan
) -> None:
    for reader in ("a_viewer", "auditor"):
        payload = await generate(client, plan, "READINESS", token=await login(client, reader))
        assert (payload["report"], codes(payload)) == (None, ["FORBIDDEN"]), reader
    stranger = await generate(
        client, plan, "READINESS", token=await login(client, "b_owner"), org="b"
    )
    assert codes(stranger) == ["NOT_FOUND"]
    owner = await login(client, "a_owner")
    sheet = await generate(client, plan, "GAP_ANALYSIS", token=owner)
    assert (codes(sheet), sheet["errors"][0]["field"]) == (["INVALID"], ["kind"])
    no_controls = await generate(client, plan, "STATEMENT_OF_APPLICABILITY", token=owner)
    assert (codes(no_controls), no_controls["errors"][0]["field"]) == (["INVALID"], ["programId"])
    listed = await read(client, "{ reports { totalCount } }", owner, plan.org_gid("a"))
    assert listed["reports"]["totalCount"] == 0  # nothing queued by a refused request


async def test_the_statement_of_applicability_as_pdf_lists_every_control(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    program = await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    variables = {
        "input": {"kind": "STATEMENT_OF_APPLICABILITY", "programId": global_id("Program", program)}
    }
    body = await gql(client, GENERATE, variables, token=token, tenant=tenant)
    report = body["data"]["generateReport"]["report"]
    await run_jobs(migrated, owner_engine)
    ready = (await read(client, REPORT_BY_ID, token, tenant, id=report["id"]))["report"]
    assert (ready["status"], ready["format"]) == ("READY", "PDF")
    content = await fetch(client, ready["downloadUrl"])
    text_of = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "Statement of Applicability" in text_of
    assert "Alpha Industries" in text_of
    for control, applicability in (("A.5.1", "applicable"), ("A.8.24", "not applicable")):
        assert control in text_of
        assert applicability in text_of
    assert "not yet assessed" in text_of
    measured = (ready["renderMs"], ready["sizeBytes"], ready["pages"])
    print("statement of applicability PDF (ms, bytes, pages):", measured)
    image = pypdfium2.PdfDocument(content)[0].render(scale=1).to_pil()
    assert image.convert("L").getextrema()[0] < 100  # ink on the page


CERTIFICATES = """
query { certificates(first: 5) { edges { node {
  number state cycleNumber decisionOn expiresOn
  scheduledAudits { kind number opensOn dueOn status rule }
} } } }
"""
PROGRAMS = "query { programs(first: 5) { edges { node { id } } } }"


async def test_the_readiness_report_shows_the_certification_cycle_the_api_gives(
    *, client: Client, runtime: Runtime, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    """Globex's demo program is certified (a surveillance held, the next due); its
    expected audits as the certification schedule job writes them."""
    await seed_demo(runtime)
    async with runtime.acting_in(GLOBEX.id) as db:
        await schedule.refresh(db)
        await db.commit()
    password = runtime.settings.demo_password.get_secret_value()
    login_body = await gql(client, LOGIN, {"email": GLOBEX_OWNER, "password": password})
    token, tenant = login_body["data"]["login"]["accessToken"], global_id("Organization", GLOBEX.id)
    [certificate] = [
        edge["node"]
        for edge in (await read(client, CERTIFICATES, token, tenant))["certificates"]["edges"]
    ]
    assert certificate["scheduledAudits"]
    [program] = (await read(client, PROGRAMS, token, tenant))["programs"]["edges"]
    variables = {"input": {"kind": "READINESS", "programId": program["node"]["id"]}}
    queued = (await gql(client, GENERATE, variables, token=token, tenant=tenant))["data"]
    await run_jobs(migrated, owner_engine)
    report_id = queued["generateReport"]["report"]["id"]
    ready = (await read(client, REPORT_BY_ID, token, tenant, id=report_id))["report"]
    whole = " ".join(pdf_text(await fetch(client, ready["downloadUrl"])))
    assert "Certification cycle" in whole
    assert (
        f"Certificate {certificate['number']}, {certificate['state'].lower()}, cycle"
        f" {certificate['cycleNumber']}: decided on {certificate['decisionOn']}, expires on"
        f" {certificate['expiresOn']}."
    ) in whole
    for expected in certificate["scheduledAudits"]:
        said = f"{expected['kind']} {expected['number']} {expected['opensOn']} {expected['dueOn']}"
        assert said in whole, said
        assert " ".join(expected["rule"].split()) in whole
    assert "No certification audit is booked." in whole


async def test_an_integrated_system_has_a_chapter_per_program(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    """A's programs on P and Q as one integrated system: one report, both programs listed,
    found from either program, each with its own score section and seven steps."""
    await seed_snapshots(owner_engine, plan)  # program "a" has scores; "a_q" none yet
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    programs = [plan.program_gid("a"), plan.program_gid("a_q")]
    variables = {"input": {"kind": "READINESS", "programIds": programs}}
    body = await gql(client, GENERATE, variables, token=token, tenant=tenant)
    queued = body["data"]["generateReport"]
    assert queued["errors"] == []
    await run_jobs(migrated, owner_engine)
    ready = (await read(client, REPORT_BY_ID, token, tenant, id=queued["report"]["id"]))["report"]
    assert ready["program"] == {"id": programs[0]}
    assert ready["programs"] == [{"id": program} for program in programs]
    for program in programs:
        found = await read(client, REPORTS, token, tenant, programId=program)
        assert found["reports"]["totalCount"] == 1, program
    whole = " ".join(pdf_text(await fetch(client, ready["downloadUrl"])))
    assert "Readiness report: integrated management system" in whole
    assert "An integrated management system of 2 programs:" in whole
    assert whole.count("The seven steps") == 2
    assert "Score 61.5 of 100" in whole  # program "a"
    assert "No readiness score has been stored yet." in whole  # program "a_q"
    assert whole.count("Certification cycle") == 2


async def test_programs_of_an_integrated_system_are_checked_before_anything_is_queued(
    *, client: Client, plan: Plan
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    a, a_q, b = (plan.program_gid(key) for key in ("a", "a_q", "b"))
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"kind": "READINESS", "programIds": []}, "INVALID", "programIds"),
        ({"kind": "READINESS", "programIds": [a, a]}, "INVALID", "programIds"),
        ({"kind": "READINESS", "programIds": [a, b]}, "NOT_FOUND", "programIds"),
        ({"kind": "READINESS", "programIds": [a], "programId": a_q}, "INVALID", "programIds"),
        ({"kind": "STATEMENT_OF_APPLICABILITY", "programIds": [a]}, "INVALID", "programIds"),
        ({"kind": "READINESS", "programIds": [a] * 11}, "INVALID", "programIds"),
    ]
    for subject, code, field in cases:
        body = await gql(client, GENERATE, {"input": subject}, token=token, tenant=tenant)
        payload = body["data"]["generateReport"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, [field])], subject
    listed = await read(client, "{ reports { totalCount } }", token, tenant)
    assert listed["reports"]["totalCount"] == 0
