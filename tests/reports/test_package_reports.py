"""A report for the auditor, in the auditor's package: a ready readiness report added to a
draft is an item at once (the report's own size and SHA-256), the frozen manifest lists it
with the package's other files, and the downloaded ZIP carries its exact bytes and passes
the offline check. What is refused, with nothing written: a frozen package (LOCKED), a
pending report, the same report twice, another organization's report, a reader."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.packages import manifest
from backend.settings import Settings
from tests.packages.helpers import package_rows
from tests.packages.test_api import codes, done, fetch_zip
from tests.planning.helpers import Plan
from tests.reports.helpers import ERRORS, GENERATE, REPORT_BY_ID, fetch, read, run_jobs
from tests.support import Client, gql, login

ITEMS = "id status itemCount items { path kind recordType sizeBytes sha256 }"
ADD = f"""
mutation($input: AddReportToPackageInput!) {{
  addReportToPackage(input: $input) {{ package {{ {ITEMS} }} {ERRORS} }}
}}
"""


@pytest.fixture(autouse=True)
async def _packages_go_first(plan: Plan, owner_engine: AsyncEngine) -> AsyncIterator[None]:
    """A packaged report cannot be deleted under its package (as packaged evidence cannot),
    so the packages go before the plan's programs take their reports with them."""
    yield
    async with owner_engine.begin() as connection:
        await connection.execute(text("DELETE FROM evidence_packages"))


async def add(
    client: Client, package: str, report: str, *, token: str, tenant: str
) -> dict[str, Any]:
    variables = {"input": {"packageId": package, "reportId": report}}
    body = await gql(client, ADD, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["addReportToPackage"]
    return payload


async def readiness_report(client: Client, plan: Plan, token: str) -> dict[str, Any]:
    variables = {"input": {"kind": "READINESS", "programId": plan.program_gid("a")}}
    body = await gql(client, GENERATE, variables, token=token, tenant=plan.org_gid("a"))
    report: dict[str, Any] = body["data"]["generateReport"]["report"]
    return report


async def draft(client: Client, plan: Plan, token: str) -> str:
    created = await done(
        client,
        "createEvidencePackage",
        {"title": "Stage 2 evidence", "programIds": [plan.program_gid("a")]},
        token=token,
        tenant=plan.org_gid("a"),
    )
    package_id: str = created["package"]["id"]
    return package_id


async def test_a_ready_report_added_to_a_draft_is_in_the_frozen_zip_byte_for_byte(
    *,
    client: Client,
    plan: Plan,
    owner_engine: AsyncEngine,
    migrated: Settings,
    tmp_path: Path,
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")
    queued = await readiness_report(client, plan, token)
    package = await draft(client, plan, token)
    pending = await add(client, package, queued["id"], token=token, tenant=tenant)
    assert (codes(pending), pending["errors"][0]["field"]) == (["INVALID"], ["reportId"])
    assert "pending" in pending["errors"][0]["message"]

    await run_jobs(migrated, owner_engine)
    report = (await read(client, REPORT_BY_ID, token, tenant, id=queued["id"]))["report"]
    added = await add(client, package, report["id"], token=token, tenant=tenant)
    assert added["errors"] == []
    [item] = added["package"]["items"]
    assert (added["package"]["status"], added["package"]["itemCount"]) == ("DRAFT", 1)
    assert (item["kind"], item["recordType"]) == ("REPORT", "Report")
    assert (item["sizeBytes"], item["sha256"]) == (report["sizeBytes"], report["sha256"])
    assert item["path"].startswith("reports/")
    assert item["path"].endswith(".pdf")
    async with owner_engine.connect() as connection:
        logged = await connection.scalar(
            text(
                "SELECT changes FROM activity_log WHERE object_type = 'EvidencePackage'"
                " AND changes->>'event' = 'report added'"
            )
        )
    assert logged["sha256"] == report["sha256"]
    again = await add(client, package, report["id"], token=token, tenant=tenant)
    assert (codes(again), again["errors"][0]["message"]) == (
        ["INVALID"],
        "The report is in the package already.",
    )

    frozen = await done(client, "freezePackage", {"id": package}, token=token, tenant=tenant)
    items = frozen["package"]["items"]
    assert items[0] == item  # first, as added
    assert len(items) > 1  # the program's records beside it
    locked = await add(client, package, report["id"], token=token, tenant=tenant)
    assert codes(locked) == ["LOCKED"]
    assert "frozen" in locked["errors"][0]["message"]

    signed = await done(client, "packageDownloadUrl", {"id": package}, token=token, tenant=tenant)
    archive = await fetch_zip(client, signed["url"], tmp_path / "package.zip")
    assert manifest.verify(archive) == len(items)
    with zipfile.ZipFile(archive) as opened:
        listed = json.loads(opened.read(manifest.MANIFEST))
        pdf = opened.read(item["path"])
    assert pdf == await fetch(client, report["downloadUrl"])
    assert hashlib.sha256(pdf).hexdigest() == report["sha256"]
    assert {
        "path": item["path"],
        "type": "Report",
        "size": len(pdf),
        "sha256": report["sha256"],
    }.items() <= next(entry for entry in listed["files"] if entry["path"] == item["path"]).items()


async def test_readers_and_other_organizations_cannot_add_a_report(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine, migrated: Settings
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    report = await readiness_report(client, plan, owner)
    await run_jobs(migrated, owner_engine)
    package = await draft(client, plan, owner)
    before = await package_rows(owner_engine)

    viewer = await add(
        client, package, report["id"], token=await login(client, "a_viewer"), tenant=tenant
    )
    assert codes(viewer) == ["FORBIDDEN"]
    b_owner = await login(client, "b_owner")
    b_report = (
        await gql(
            client,
            GENERATE,
            {"input": {"kind": "READINESS", "programId": plan.program_gid("b")}},
            token=b_owner,
            tenant=plan.org_gid("b"),
        )
    )["data"]["generateReport"]["report"]
    await run_jobs(migrated, owner_engine)
    foreign = await add(client, package, b_report["id"], token=owner, tenant=tenant)
    assert (codes(foreign), foreign["errors"][0]["field"]) == (["NOT_FOUND"], ["reportId"])
    wrong = await add(client, package, package, token=owner, tenant=tenant)
    assert (codes(wrong), wrong["errors"][0]["field"]) == (["INVALID"], ["reportId"])
    assert await package_rows(owner_engine) == before
