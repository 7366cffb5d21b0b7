"""The internal audit report and the management review minutes, rendered from the demo data
(Acme's signed audit and signed review) by the real job executor, read back with pypdf and
compared with what the API answers for the same audit and review; page 1 drawn to pixels.
Then what generateReport refuses: a subject that does not fit the kind, two subjects, none,
another organization's audit, a reader; nothing is queued by a refused request."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pypdfium2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, ACME_OWNER, GLOBEX, GLOBEX_OWNER, seed_demo
from backend.runtime import Runtime
from backend.settings import Settings
from tests.reports.helpers import GENERATE, REPORT_BY_ID, codes, fetch, pdf_text, read, run_jobs
from tests.support import LOGIN, Client, global_id, gql

AUDIT = """
query {
  audits(first: 1, status: CLOSED) { edges { node {
    id reference title conclusion signedAt leadAuditor { name } signedBy { name }
    team { name } checklist { result requirement { number } }
    findings { reference type correctiveActions { action { title } } }
  } } }
}
"""
REVIEW = """
query {
  managementReviews(first: 1, status: SIGNED) { edges { node {
    id title heldOn signedAt chair { name } attendees { name }
    inputs { kind figures { label value } }
    outputs { kind action { title dueDate owner { name } } }
  } } }
}
"""


@dataclass(frozen=True)
class Demo:
    token: str
    tenant: str

    async def generate(self, client: Client, **subject: Any) -> dict[str, Any]:
        body = await gql(client, GENERATE, {"input": subject}, token=self.token, tenant=self.tenant)
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["generateReport"]
        return payload


async def demo_login(client: Client, runtime: Runtime, email: str) -> str:
    password = runtime.settings.demo_password.get_secret_value()
    body = await gql(client, LOGIN, {"email": email, "password": password})
    token: str = body["data"]["login"]["accessToken"]
    return token


@pytest.fixture
async def acme(runtime: Runtime, client: Client, owner_engine: AsyncEngine) -> Demo:
    await seed_demo(runtime)
    token = await demo_login(client, runtime, ACME_OWNER)
    return Demo(token, global_id("Organization", ACME.id))


async def rendered(
    client: Client, demo: Demo, settings: Settings, owner_engine: AsyncEngine, **subject: Any
) -> tuple[dict[str, Any], list[str], bytes]:
    """Generate, run the job, download: the ready report, its pages' text and its bytes."""
    queued = await demo.generate(client, **subject)
    assert queued["errors"] == [], queued
    await run_jobs(settings, owner_engine)
    ready = await read(client, REPORT_BY_ID, demo.token, demo.tenant, id=queued["report"]["id"])
    report = ready["report"]
    assert (report["status"], report["format"]) == ("READY", "PDF"), report
    content = await fetch(client, report["downloadUrl"])
    pages = pdf_text(content)
    assert len(pages) == report["pages"]
    report_id = base64.b64decode(report["id"]).decode().partition(":")[2]
    for number, page in enumerate(pages, start=1):
        assert ACME.name in page, number
        assert f"Report {report_id}" in page, number
        assert f"Page {number}" in page, number
    image = pypdfium2.PdfDocument(content)[0].render(scale=1).to_pil()
    darkest, lightest = image.convert("L").getextrema()
    assert (darkest < 100, lightest >= 250) == (True, True)  # ink on paper
    return report, pages, content


async def test_the_internal_audit_report_shows_what_the_api_says_of_the_audit(
    *, client: Client, acme: Demo, migrated: Settings, owner_engine: AsyncEngine
) -> None:
    [edge] = (await read(client, AUDIT, acme.token, acme.tenant))["audits"]["edges"]
    audit = edge["node"]
    report, pages, _ = await rendered(
        client, acme, migrated, owner_engine, kind="INTERNAL_AUDIT", auditId=audit["id"]
    )
    assert report["audit"] == {"id": audit["id"]}
    assert report["filename"].startswith(f"internal-audit-{audit['reference'].lower()}-")
    whole = " ".join(pages)
    assert f"Internal audit report: {audit['reference']}" in pages[0]
    for heading in ("Scope", "Criteria", "Audit team", "Checklist results", "Conclusion"):
        assert heading in whole, heading
    assert f"{audit['title']}." in whole
    assert f"Lead auditor: {audit['leadAuditor']['name']}." in whole
    for member in audit["team"]:
        assert member["name"] in whole
    results: dict[str, int] = {}
    for line in audit["checklist"]:
        said = line["result"].lower().replace("_", " ")
        results[said] = results.get(said, 0) + 1
        assert line["requirement"]["number"] in whole
    assert f"{len(audit['checklist'])} requirements checked (" in whole
    for result, count in results.items():
        assert f"{result}: {count}" in whole, result
    assert f"Findings ({len(audit['findings'])})" in whole
    for finding in audit["findings"]:
        assert f"{finding['reference']}: {finding['type'].lower().replace('_', ' ')}" in whole
        for corrective in finding["correctiveActions"]:
            assert corrective["action"]["title"] in whole
    assert " ".join(audit["conclusion"].split()) in whole
    signed = audit["signedAt"][:10]
    assert f"Signed by {audit['signedBy']['name']}, lead auditor, on {signed}." in whole
    print("internal audit report (ms, bytes, pages):", _measured(report))


async def test_the_review_minutes_show_every_input_figure_the_api_gives(
    *, client: Client, acme: Demo, migrated: Settings, owner_engine: AsyncEngine
) -> None:
    [edge] = (await read(client, REVIEW, acme.token, acme.tenant))["managementReviews"]["edges"]
    review = edge["node"]
    report, pages, _ = await rendered(
        client, acme, migrated, owner_engine, kind="MANAGEMENT_REVIEW", reviewId=review["id"]
    )
    assert report["review"] == {"id": review["id"]}
    whole = " ".join(pages)
    assert f"Management review minutes: {review['title']}" in pages[0]
    assert f"Held: {review['heldOn']}. Chair: {review['chair']['name']}." in whole
    assert f"Attendees ({len(review['attendees'])})" in whole
    for attendee in review["attendees"]:
        assert attendee["name"] in whole
    assert review["inputs"]
    for item in review["inputs"]:
        assert item["kind"].lower().replace("_", " ").capitalize() in whole, item["kind"]
        for figure in item["figures"]:
            assert f"{figure['label']}: {figure['value']}" in whole, figure
    assert f"Decisions and actions ({len(review['outputs'])})" in whole
    for output in review["outputs"]:
        action = output["action"]
        assert action["title"] in whole
        assert f"{action['owner']['name']} {action['dueDate']}" in whole
    signed = review["signedAt"][:10]
    assert f"Signed by {review['chair']['name']}, chair, on {signed}." in whole
    print("management review minutes (ms, bytes, pages):", _measured(report))


async def test_a_subject_that_does_not_fit_the_kind_is_refused_and_nothing_is_queued(
    *, client: Client, acme: Demo, runtime: Runtime
) -> None:
    audits = (await read(client, AUDIT, acme.token, acme.tenant))["audits"]["edges"]
    reviews = (await read(client, REVIEW, acme.token, acme.tenant))["managementReviews"]
    audit, review = audits[0]["node"]["id"], reviews["edges"][0]["node"]["id"]
    before = await read(client, "{ reports { totalCount } }", acme.token, acme.tenant)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"kind": "INTERNAL_AUDIT"}, ["auditId"]),
        ({"kind": "INTERNAL_AUDIT", "reviewId": review}, ["reviewId"]),
        ({"kind": "INTERNAL_AUDIT", "auditId": audit, "reviewId": review}, ["reviewId"]),
        ({"kind": "MANAGEMENT_REVIEW", "auditId": audit}, ["auditId"]),
        ({"kind": "READINESS", "auditId": audit}, ["auditId"]),
        ({"kind": "READINESS"}, ["programId"]),
    ]
    for subject, field in cases:
        payload = await acme.generate(client, **subject)
        assert payload["report"] is None, subject
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", field)], subject
        assert "give" in payload["errors"][0]["message"]
    wrong_type = await acme.generate(client, kind="MANAGEMENT_REVIEW", reviewId=audit)
    assert (codes(wrong_type), wrong_type["errors"][0]["field"]) == (["INVALID"], ["reviewId"])

    viewer = Demo(await demo_login(client, runtime, "viewer@acme.example"), acme.tenant)
    assert codes(await viewer.generate(client, kind="INTERNAL_AUDIT", auditId=audit)) == [
        "FORBIDDEN"
    ]
    globex = Demo(
        await demo_login(client, runtime, GLOBEX_OWNER), global_id("Organization", GLOBEX.id)
    )
    stranger = await globex.generate(client, kind="INTERNAL_AUDIT", auditId=audit)
    assert (codes(stranger), stranger["errors"][0]["field"]) == (["NOT_FOUND"], ["auditId"])
    after = await read(client, "{ reports { totalCount } }", acme.token, acme.tenant)
    assert after == before


def _measured(report: dict[str, Any]) -> tuple[int, int, int]:
    return report["renderMs"], report["sizeBytes"], report["pages"]


PLANNED = "query { audits(first: 1, status: PLANNED) { edges { node { id checklist { id } } } } }"


async def test_a_report_of_an_audit_not_signed_yet_says_so(
    *, client: Client, acme: Demo, migrated: Settings, owner_engine: AsyncEngine
) -> None:
    """The demo's next audit is planned: its lines have no result, and the report is not
    the signed record, which its sign-off says."""
    [edge] = (await read(client, PLANNED, acme.token, acme.tenant))["audits"]["edges"]
    audit = edge["node"]
    _, pages, _ = await rendered(
        client, acme, migrated, owner_engine, kind="INTERNAL_AUDIT", auditId=audit["id"]
    )
    whole = " ".join(pages)
    lines = len(audit["checklist"])
    assert f"{lines} requirements checked (not recorded: {lines})." in whole
    assert "Findings (0) No finding was raised." in whole
    assert "No conclusion has been recorded." in whole
    assert "Not signed: the record is planned and may still change." in whole
