"""Spreadsheet exports over HTTP: each kind read back with openpyxl (sheets, header frozen
and filtered, typed cells, text never a formula), the stored file and its SHA-256, the
signed download, and who may export and download."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime

from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.core.signing import Signer
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.findings.service import NewCorrectiveAction
from backend.planning import service as planning
from backend.registers import service as registers
from backend.registers.models import EntryKind
from backend.registers.service import EntryFields
from backend.settings import Settings
from tests.findings.helpers import TODAY, nonconformity
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, iso_program
from tests.reports.helpers import (
    REPORT_BY_ID,
    REPORTS,
    codes,
    export,
    fetch,
    read,
    workbook,
)
from tests.support import Client, global_id, login

KINDS = ("GAP_ANALYSIS", "STATEMENT_OF_APPLICABILITY", "FINDINGS", "ACTION_PLAN", "REGISTERS")


FORMULA = '=HYPERLINK("http://example.test")'


async def seed(db: TenantSession, owner: Actor, plan: Plan) -> None:
    """On A's P program: an action on 7.5.2 whose title looks like a formula, a
    nonconformity on 8.5.1 with its corrective action, a milestone and a risk."""
    program = plan.programs["a"]
    await planning.create_action(
        db,
        owner,
        program,
        planning.ActionFields(title=FORMULA, due_date=TODAY, requirements=["7.5.2"]),
    )
    finding = await findings.raise_finding(
        db, owner, "internal_audit", nonconformity(plan, "8.5.1")
    )
    await findings.record_correction(db, owner, finding.id, "Contained.", TODAY)
    await findings.record_root_cause(db, owner, finding.id, "other", "No owner.")
    await findings.add_corrective_action(
        db, owner, finding.id, NewCorrectiveAction("Own it", plan.users["a_admin"], TODAY)
    )
    await planning.create_milestone(
        db, owner, program, planning.MilestoneFields(title="Stage 1", due_date=TODAY)
    )
    await registers.create_entry(
        db,
        owner,
        EntryKind.RISK,
        program,
        EntryFields(title="Supplier fails", nature="risk", likelihood=2, impact=3, review_on=TODAY),
    )


async def test_every_export_reads_back_as_a_typed_filtered_workbook_with_its_sha256(
    *,
    client: Client,
    plan: Plan,
    session: TenantSession,
    owner_a: Actor,
    owner_engine: AsyncEngine,
) -> None:
    await seed(session, owner_a, plan)
    controls = await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    sheets = {}
    for kind in KINDS:
        soa = kind == "STATEMENT_OF_APPLICABILITY"
        program = global_id("Program", controls) if soa else plan.program_gid("a")
        payload = await export(client, kind, program, token=token, tenant=tenant)
        assert payload["errors"] == [], payload
        report = payload["report"]
        assert (report["kind"], report["format"], report["status"]) == (kind, "XLSX", "READY")
        assert report["filename"].endswith(f"-{TODAY.isoformat()}.xlsx")
        assert report["requestedBy"] == {"name": "A Owner"}
        content = await fetch(client, report["downloadUrl"])
        assert len(content) == report["sizeBytes"]
        assert hashlib.sha256(content).hexdigest() == report["sha256"]
        book = workbook(content)
        assert report["pages"] == len(book.sheetnames)
        for sheet in book.worksheets:
            assert sheet.freeze_panes == "A2", (kind, sheet.title)
            last = get_column_letter(sheet.max_column)
            assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", (kind, sheet.title)
        sheets.update({sheet.title: sheet for sheet in book.worksheets})

    gap = [[cell.value for cell in row] for row in sheets["Gap analysis"].iter_rows()]
    assert gap[0][:3] == ["Requirement", "Title", "Status"]
    assert [row[0] for row in gap[1:]] == ["7.5.1", "7.5.2", "8.5.1", "9.2", "10.2"]
    assert [row[2] for row in gap[1:]][:2] == ["conformant", "partial"]
    assert gap[2][7] == FORMULA  # the action on 7.5.2, kept as text
    assert sheets["Gap analysis"]["H3"].data_type == "s"

    findings_sheet = sheets["Findings"]
    assert findings_sheet["E2"].value == "8.5.1"
    assert isinstance(findings_sheet["K2"].value, datetime)  # raised on: a date cell
    assert findings_sheet["K2"].value.date() == TODAY
    corrective = sheets["Corrective actions"]
    assert (corrective["A2"].value, corrective["B2"].value, corrective["C2"].value) == (
        findings_sheet["A2"].value,
        1,
        "Own it",
    )
    assert [row[0].value for row in sheets["Actions"].iter_rows(min_row=2)] == [FORMULA, "Own it"]
    assert sheets["Milestones"]["B2"].value.date() == TODAY
    risks = sheets["Risks and opportunities"]
    assert [c.value for c in risks[1]][:4] == ["Reference", "Title", "Owner", "Review on"]
    assert (risks["B2"].value, risks["H2"].value, risks["I2"].value) == ("Supplier fails", 2, 3)
    statement = [[c.value for c in row] for row in sheets["Statement of Applicability"].iter_rows()]
    assert [(row[0], row[3], row[5]) for row in statement[1:]] == [
        ("A.5.1", "applicable", "conformant"),
        ("A.8.24", "not applicable", "not applicable"),
        ("A.8.12", "not yet assessed", "not assessed"),
    ]  # in catalog order


async def test_the_list_and_one_report_are_read_by_viewers_and_auditors_but_not_by_others(
    *, client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await export(client, "GAP_ANALYSIS", plan.program_gid("a"), token=owner, tenant=tenant)
    report_id = made["report"]["id"]
    for reader in ("a_viewer", "auditor", "consultant"):
        token = await login(client, reader)
        listed = await read(client, REPORTS, token, tenant, programId=plan.program_gid("a"))
        assert [edge["node"]["id"] for edge in listed["reports"]["edges"]] == [report_id], reader
        one = (await read(client, REPORT_BY_ID, token, tenant, id=report_id))["report"]
        content = await fetch(client, one["downloadUrl"])
        assert hashlib.sha256(content).hexdigest() == one["sha256"], reader
    stranger = await login(client, "b_owner")
    other = plan.org_gid("b")
    assert (await read(client, REPORTS, stranger, other))["reports"]["totalCount"] == 0
    assert (await read(client, REPORT_BY_ID, stranger, other, id=report_id))["report"] is None
    filtered = await read(client, REPORTS, owner, tenant, organization=plan.org_gid("b"))
    assert filtered["reports"]["totalCount"] == 0


async def test_viewers_auditors_and_other_tenants_cannot_export_and_nothing_is_stored(
    *, client: Client, plan: Plan
) -> None:
    tenant = plan.org_gid("a")
    for reader, expected in (("a_viewer", "FORBIDDEN"), ("auditor", "FORBIDDEN")):
        token = await login(client, reader)
        payload = await export(
            client, "FINDINGS", plan.program_gid("a"), token=token, tenant=tenant
        )
        assert (payload["report"], codes(payload)) == (None, [expected]), reader
    stranger = await login(client, "b_owner")
    payload = await export(
        client, "FINDINGS", plan.program_gid("a"), token=stranger, tenant=plan.org_gid("b")
    )
    assert (payload["report"], codes(payload)) == (None, ["NOT_FOUND"])
    owner = await login(client, "a_owner")
    assert (await read(client, REPORTS, owner, tenant))["reports"]["totalCount"] == 0


async def test_bad_input_is_a_clear_error(*, client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    pdf = await export(client, "READINESS", plan.program_gid("a"), token=token, tenant=tenant)
    assert (codes(pdf), pdf["errors"][0]["field"]) == (["INVALID"], ["kind"])
    soa = await export(
        client, "STATEMENT_OF_APPLICABILITY", plan.program_gid("a"), token=token, tenant=tenant
    )
    assert (codes(soa), soa["errors"][0]["field"]) == (["INVALID"], ["programId"])
    wrong = await export(client, "GAP_ANALYSIS", plan.org_gid("a"), token=token, tenant=tenant)
    assert (wrong["report"], wrong["errors"][0]["field"]) == (None, ["programId"])
    assert (await read(client, REPORTS, token, tenant))["reports"]["totalCount"] == 0


async def test_a_forged_altered_expired_or_misdirected_download_token_is_refused(
    *, client: Client, plan: Plan, migrated: Settings
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await export(client, "ACTION_PLAN", plan.program_gid("a"), token=token, tenant=tenant)
    path = made["report"]["downloadUrl"]
    path = path[path.index("/reports/download/") :]
    payload, _, mac = path.removeprefix("/reports/download/").partition(".")
    secret = migrated.evidence_signing_secret.get_secret_value()
    claims = {"report": _uuid(made["report"]["id"]), "tenant": str(plan.orgs["a"])}
    expired = Signer(secret, clock=lambda: time.time() - 3600).sign("report-download", 60, **claims)
    upload = Signer(secret).sign("put", 60, **claims)  # signed, but for another purpose
    for bad in (f"{payload}.{mac[::-1]}", "garbage", f"{payload[:-2]}.{mac}", expired, upload):
        response = await client.get(f"/reports/download/{bad}")
        assert response.status_code == 403, bad
    elsewhere = Signer(secret).sign(
        "report-download", 60, **{**claims, "tenant": str(plan.orgs["b"])}
    )
    assert (await client.get(f"/reports/download/{elsewhere}")).status_code == 404


async def test_a_report_is_a_node(*, client: Client, plan: Plan) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    made = await export(client, "REGISTERS", plan.program_gid("a"), token=token, tenant=tenant)
    node = "query($id: ID!) { node(id: $id) { __typename ... on Report { kind } } }"
    found = await read(client, node, token, tenant, id=made["report"]["id"])
    assert found["node"] == {"__typename": "Report", "kind": "REGISTERS"}


def _uuid(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]
