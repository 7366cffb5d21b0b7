"""The certification API over HTTP: a cycle booked, held and decided, the cycle and its rules,
the lists and their filters, a late surveillance the API explains, bad input, and what
auditors, viewers and other tenants may do."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.certification.lapse import Lapsed, advance
from backend.certification.rules import add_months
from backend.runtime import Runtime
from tenants.scope import TenantScope
from tests.certification.helpers import months_ago, rows
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan
from tests.support import Client, gql, login

ERRORS = "errors { field code message }"
AUDIT = """
id kind status plannedStart plannedEnd actualStart actualEnd auditDays leadAuditorName
outcome summary organization { slug } certificationBody { slug } programs { id }
findings { reference type }
"""
CERTIFICATE = """
id number cycleNumber scope sites decisionOn issuedOn expiresOn state current
programs { id } certificationBody { slug } history { state on reason by { name } }
"""
CYCLE = f"""
query($programId: ID!) {{ certificationCycle(programId: $programId) {{
  number decisionOn state expires {{ date rule }} restoreUntil {{ date rule }}
  withdrawalDue {{ date rule }} suspendableBecause
  expectedAudits {{ kind number opensOn dueBy rule heldOn status }}
  certificate {{ {CERTIFICATE} }}
}} }}
"""
AUDITS = """
query($programId: ID, $kind: CertificationAuditKind, $status: CertificationAuditStatus,
      $organization: ID) {
  certificationAudits(programId: $programId, kind: $kind, status: $status,
                      organization: $organization) {
    totalCount edges { node { kind status } }
  }
}
"""
CERTIFICATES = f"""
query($organization: ID) {{ certificates(organization: $organization) {{
  totalCount edges {{ node {{ {CERTIFICATE} }} }}
}} }}
"""
UPCOMING = """
query($organization: ID) { upcomingAudits(organization: $organization, first: 200) {
  kind date rule status organization { slug } certificate { number state } audit { kind }
} }
"""
NODE = "query($id: ID!) { node(id: $id) { __typename } }"
STEP_7 = """
query($id: ID!) {
  program(id: $id) { status steps { key canComplete criteria { key met reason } } }
}
"""
PAYLOADS = {
    "planCertificationAudit": ("PlanCertificationAuditInput", f"audit {{ {AUDIT} }}"),
    "updateCertificationAudit": ("UpdateCertificationAuditInput", "audit { status plannedEnd }"),
    "recordCertificationAuditOutcome": (
        "RecordCertificationAuditOutcomeInput",
        f"audit {{ {AUDIT} }}",
    ),
    "recordCertificationDecision": (
        "RecordCertificationDecisionInput",
        f"certificate {{ {CERTIFICATE} }}",
    ),
    "suspendCertificate": ("CertificateStateInput", "certificate { state suspendedOn }"),
    "reinstateCertificate": ("CertificateStateInput", "certificate { state }"),
    "withdrawCertificate": ("CertificateStateInput", "certificate { state }"),
    "restoreCertificate": ("RestoreCertificateInput", "certificate { cycleNumber }"),
    "setCertificationBodyRules": (
        "SetCertificationBodyRulesInput",
        "rules { firstSurveillanceMonths majorDeadlineDays cycleYears certificationBody { slug } }",
    ),
}


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    kind, fields = PAYLOADS[name]
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"
    body = await gql(client, document, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    return payload


async def read(client: Client, document: str, token: str, tenant: str, **variables: Any) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def audit_input(plan: Plan, kind: str, last_day: date, **overrides: Any) -> dict[str, Any]:
    return {
        "programIds": [plan.program_gid("a")],
        "kind": kind,
        "plannedStart": str(last_day - timedelta(days=1)),
        "plannedEnd": str(last_day),
        "auditDays": "2.5",
        "leadAuditorName": "Rita Lead",
        **overrides,
    }


async def hold(
    client: Client, plan: Plan, token: str, kind: str, *, last_day: date, outcome: str, **more: Any
) -> dict[str, Any]:
    tenant = plan.org_gid("a")
    planned = await done(
        client,
        "planCertificationAudit",
        audit_input(plan, kind, last_day, **more),
        token=token,
        tenant=tenant,
    )
    outcome_input = {
        "id": planned["audit"]["id"],
        "outcome": outcome,
        "actualStart": str(last_day - timedelta(days=1)),
        "actualEnd": str(last_day),
        "summary": "Held as planned.",
    }
    recorded = await done(
        client, "recordCertificationAuditOutcome", outcome_input, token=token, tenant=tenant
    )
    audit: dict[str, Any] = recorded["audit"]
    return audit


def decision_input(plan: Plan, decided_on: date, *keys: str) -> dict[str, Any]:
    return {
        "programIds": [plan.program_gid(key) for key in keys or ("a",)],
        "decidedOn": str(decided_on),
        "number": "CERT-0042",
        "scope": "Design and manufacture of gauges",
        "sites": ["Main plant", "Warehouse"],
    }


async def certify(client: Client, plan: Plan, token: str, decided_on: date, *keys: str) -> Any:
    programs = [plan.program_gid(key) for key in keys or ("a",)]
    await hold(
        client,
        plan,
        token,
        "STAGE_1",
        last_day=decided_on - timedelta(days=60),
        outcome="READY",
        programIds=programs,
    )
    await hold(
        client,
        plan,
        token,
        "STAGE_2",
        last_day=decided_on - timedelta(days=10),
        outcome="RECOMMENDED",
        programIds=programs,
    )
    payload = await done(
        client,
        "recordCertificationDecision",
        decision_input(plan, decided_on, *keys),
        token=token,
        tenant=plan.org_gid("a"),
    )
    return payload["certificate"]


async def test_an_integrated_certification_and_its_cycle_through_the_api(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    decided = months_ago(2)
    certificate = await certify(client, plan, owner, decided, "a", "a_q")
    assert (certificate["state"], certificate["cycleNumber"], certificate["current"]) == (
        "ACTIVE",
        1,
        True,
    )
    assert certificate["expiresOn"] == str(add_months(decided, 36))
    assert len(certificate["programs"]) == 2
    assert certificate["history"] == [
        {
            "state": "ACTIVE",
            "on": str(decided),
            "reason": "Certification decision.",
            "by": {"name": "A Owner"},
        },
    ]
    cycle = (await read(client, CYCLE, owner, tenant, programId=plan.program_gid("a_q")))[
        "certificationCycle"
    ]
    first_due = add_months(decided, 12)
    assert cycle["expectedAudits"][0] == {
        "kind": "SURVEILLANCE",
        "number": 1,
        "opensOn": str(decided + timedelta(days=1)),
        "dueBy": str(first_due),
        "rule": f"first surveillance due by {first_due}: 12 months after the certification"
        f" decision of {decided}",
        "heldOn": None,
        "status": "DUE",
    }
    assert [item["kind"] for item in cycle["expectedAudits"]] == [
        "SURVEILLANCE",
        "SURVEILLANCE",
        "RECERTIFICATION",
    ]
    assert cycle["suspendableBecause"] == []
    assert cycle["expires"]["rule"].startswith(f"expires on {add_months(decided, 36)}: 3 years")

    for variables, count in (
        ({"kind": "STAGE_1"}, 1),
        ({"status": "HELD"}, 2),
        ({"status": "PLANNED"}, 0),
        ({"programId": plan.program_gid("a_q")}, 2),
        ({"organization": plan.org_gid("b")}, 0),
    ):
        found = await read(client, AUDITS, owner, tenant, **variables)
        assert found["certificationAudits"]["totalCount"] == count, variables
    assert (await read(client, CERTIFICATES, owner, tenant))["certificates"]["totalCount"] == 1
    program = (await read(client, STEP_7, owner, tenant, id=plan.program_gid("a")))["program"]
    [step_7] = [step for step in program["steps"] if step["key"] == "CERTIFICATION_AUDIT"]
    assert program["status"] == "CERTIFIED"
    assert [(item["key"], item["met"]) for item in step_7["criteria"]] == [
        ("stage-1-held", True),
        ("stage-2-held", True),
        ("majors-verified", True),
        ("minors-planned", True),
        ("decision-recorded", True),
    ]
    assert step_7["criteria"][4]["reason"] == (
        f"Certified on {decided}: certificate CERT-0042 expires on {add_months(decided, 36)}."
    )
    found = (await read(client, NODE, owner, tenant, id=certificate["id"]))["node"]
    assert found == {"__typename": "Certificate"}
    upcoming = (await read(client, UPCOMING, owner, tenant))["upcomingAudits"]
    assert [(item["kind"], item["date"], item["status"]) for item in upcoming] == [
        ("surveillance", str(first_due), "due"),
        ("surveillance", f"{decided.year + 2}-12-31", "due"),
        ("recertification", str(add_months(decided, 36) - timedelta(days=1)), "due"),
    ]


async def test_a_late_surveillance_makes_the_certificate_suspendable_and_the_api_says_why(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    decided = months_ago(13)
    certificate = await certify(client, plan, owner, decided)
    cycle = (await read(client, CYCLE, owner, tenant, programId=plan.program_gid("a")))[
        "certificationCycle"
    ]
    due = add_months(decided, 12)
    assert cycle["expectedAudits"][0]["status"] == "OVERDUE"
    assert cycle["suspendableBecause"] == [
        f"first surveillance was due by {due} and has not been held (first surveillance due by"
        f" {due}: 12 months after the certification decision of {decided})"
    ]
    upcoming = (await read(client, UPCOMING, owner, tenant))["upcomingAudits"]
    assert (upcoming[0]["date"], upcoming[0]["status"]) == (str(due), "overdue")
    suspended = await done(
        client,
        "suspendCertificate",
        {"id": certificate["id"], "reason": "Surveillance late."},
        token=owner,
        tenant=tenant,
    )
    assert suspended["certificate"] == {"state": "SUSPENDED", "suspendedOn": str(TODAY)}
    cycle = (await read(client, CYCLE, owner, tenant, programId=plan.program_gid("a")))[
        "certificationCycle"
    ]
    assert cycle["withdrawalDue"] == {
        "date": str(add_months(TODAY, 6)),
        "rule": f"withdrawn if not resolved by {add_months(TODAY, 6)}: a suspension lasts at"
        f" most 6 months (suspended on {TODAY})",
    }
    assert cycle["suspendableBecause"] == []


async def test_bad_input_is_a_user_error_and_changes_nothing(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    stage_1 = await done(
        client,
        "planCertificationAudit",
        audit_input(plan, "STAGE_1", TODAY + timedelta(days=9)),
        token=owner,
        tenant=tenant,
    )
    audit_id = stage_1["audit"]["id"]
    before = await rows(owner_engine)
    for name, input, code, field in (
        (
            "planCertificationAudit",
            audit_input(plan, "STAGE_1", TODAY, programIds=[]),
            "INVALID",
            ["programIds"],
        ),
        (
            "planCertificationAudit",
            audit_input(plan, "STAGE_1", TODAY, plannedStart=str(TODAY + timedelta(days=3))),
            "INVALID",
            ["plannedEnd"],
        ),
        (
            "planCertificationAudit",
            audit_input(plan, "STAGE_1", TODAY, auditDays="NaN"),
            "INVALID",
            ["auditDays"],
        ),
        (
            "planCertificationAudit",
            audit_input(plan, "STAGE_1", TODAY, auditDays="0"),
            "INVALID",
            ["auditDays"],
        ),
        (
            "planCertificationAudit",
            audit_input(plan, "STAGE_1", TODAY, programIds=[plan.program_gid("b")]),
            "NOT_FOUND",
            ["programId"],
        ),
        (
            "recordCertificationAuditOutcome",
            {
                "id": audit_id,
                "outcome": "RECOMMENDED",
                "actualStart": str(TODAY),
                "actualEnd": str(TODAY),
            },
            "INVALID",
            ["outcome"],
        ),
        (
            "recordCertificationAuditOutcome",
            {
                "id": audit_id,
                "outcome": "READY",
                "actualStart": str(TODAY),
                "actualEnd": str(TODAY + timedelta(days=1)),
            },
            "INVALID",
            ["actualEnd"],
        ),
        (
            "recordCertificationDecision",
            decision_input(plan, TODAY),
            "CRITERIA_UNMET",
            ["programIds"],
        ),
        (
            "recordCertificationDecision",
            decision_input(plan, TODAY + timedelta(days=1)),
            "INVALID",
            ["decidedOn"],
        ),
    ):
        refused = await mutate(client, name, input, token=owner, tenant=tenant)
        assert codes(refused) == [code], (name, refused)
        assert refused["errors"][0]["field"] == field, (name, refused)
    assert await rows(owner_engine) == before
    cancelled = await done(
        client,
        "updateCertificationAudit",
        {"id": audit_id, "cancel": True},
        token=owner,
        tenant=tenant,
    )
    assert cancelled["audit"]["status"] == "CANCELLED"
    locked = await mutate(
        client,
        "updateCertificationAudit",
        {"id": audit_id, "leadAuditorName": "X"},
        token=owner,
        tenant=tenant,
    )
    assert codes(locked) == ["LOCKED"]


async def test_auditors_read_and_change_nothing_viewers_are_forbidden_others_see_nothing(
    client: Client, plan: Plan, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    certificate = await certify(client, plan, owner, months_ago(1))
    planned = await done(
        client,
        "planCertificationAudit",
        audit_input(plan, "SURVEILLANCE", TODAY + timedelta(days=30)),
        token=owner,
        tenant=tenant,
    )
    audit_id = planned["audit"]["id"]
    before = await rows(owner_engine)
    attempts = (
        ("planCertificationAudit", audit_input(plan, "SURVEILLANCE", TODAY)),
        ("updateCertificationAudit", {"id": audit_id, "leadAuditorName": "Me"}),
        (
            "recordCertificationAuditOutcome",
            {
                "id": audit_id,
                "outcome": "RECOMMENDED",
                "actualStart": str(TODAY),
                "actualEnd": str(TODAY),
            },
        ),
        ("recordCertificationDecision", decision_input(plan, TODAY)),
        ("suspendCertificate", {"id": certificate["id"], "reason": "Mine."}),
        ("reinstateCertificate", {"id": certificate["id"], "reason": "Mine."}),
        ("withdrawCertificate", {"id": certificate["id"], "reason": "Mine."}),
        ("restoreCertificate", {"id": certificate["id"], "decidedOn": str(TODAY)}),
        ("setCertificationBodyRules", {"certificationBodySlug": "body-org", "cycleYears": 2}),
    )
    for user in ("auditor", "a_viewer"):
        token = await login(client, user)
        cycle = (await read(client, CYCLE, token, tenant, programId=plan.program_gid("a")))[
            "certificationCycle"
        ]
        assert cycle["certificate"]["number"] == "CERT-0042"
        audits = await read(client, AUDITS, token, tenant)
        assert audits["certificationAudits"]["totalCount"] == 3
        assert (await read(client, CERTIFICATES, token, tenant))["certificates"]["totalCount"] == 1
        assert len((await read(client, UPCOMING, token, tenant))["upcomingAudits"]) == 4
        for name, input in attempts:
            refused = await mutate(client, name, input, token=token, tenant=tenant)
            assert codes(refused) == ["FORBIDDEN"], (user, name, refused)
    assert await rows(owner_engine) == before

    # The database itself refuses a reader: no write tenant, so nothing is touched.
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(plan.users["auditor"], frozenset({plan.orgs["a"]}), None))
        for table in ("certification_audits", "certificates"):
            changed = await db.execute(text(f"UPDATE {table} SET updated_at = now()"))
            assert changed.rowcount == 0  # type: ignore[attr-defined]
        await db.rollback()

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    assert (await read(client, CERTIFICATES, stranger, b_tenant))["certificates"]["totalCount"] == 0
    assert (await read(client, UPCOMING, stranger, b_tenant))["upcomingAudits"] == []
    cycle = await read(client, CYCLE, stranger, b_tenant, programId=plan.program_gid("a"))
    assert cycle["certificationCycle"] is None
    for node_id in (audit_id, certificate["id"]):
        assert (await read(client, NODE, stranger, b_tenant, id=node_id))["node"] is None
    for name, input in attempts[1:-1]:  # the last one is B's own to make
        hidden = await mutate(client, name, input, token=stranger, tenant=b_tenant)
        assert codes(hidden) == ["NOT_FOUND"], (name, hidden)


async def test_an_auditor_whose_grant_expires_mid_audit_reads_nothing_on_the_next_request(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    await done(
        client,
        "planCertificationAudit",
        audit_input(plan, "STAGE_1", TODAY + timedelta(days=1)),
        token=owner,
        tenant=tenant,
    )
    auditor = await login(client, "auditor")
    assert (await read(client, AUDITS, auditor, tenant))["certificationAudits"]["totalCount"] == 1
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE auditor_grants SET valid_until = now() - interval '1 second'")
        )
    await gql(client, AUDITS, {}, token=auditor, tenant=tenant, expect_status=404)
    found = await read(client, AUDITS, auditor, plan.org_gid("body"))
    assert found["certificationAudits"]["totalCount"] == 0


async def test_a_body_s_own_numbers_drive_its_due_dates_and_their_rules(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    set_rules = {"certificationBodySlug": "body-org", "firstSurveillanceMonths": 9}
    payload = await done(client, "setCertificationBodyRules", set_rules, token=owner, tenant=tenant)
    assert payload["rules"] == {
        "firstSurveillanceMonths": 9,
        "majorDeadlineDays": 90,
        "cycleYears": 3,
        "certificationBody": {"slug": "body-org"},
    }
    decided = months_ago(1)
    await certify(client, plan, owner, decided)
    cycle = (await read(client, CYCLE, owner, tenant, programId=plan.program_gid("a")))[
        "certificationCycle"
    ]
    first = cycle["expectedAudits"][0]
    assert (first["dueBy"], first["rule"]) == (
        str(add_months(decided, 9)),
        f"first surveillance due by {add_months(decided, 9)}: 9 months after the certification"
        f" decision of {decided}",
    )
    before = await rows(owner_engine)
    for input, code in (
        ({"certificationBodySlug": "body-org", "majorDeadlineDays": 0}, "INVALID"),
        ({"certificationBodySlug": "a-org", "cycleYears": 2}, "NOT_FOUND"),
    ):
        refused = await mutate(
            client, "setCertificationBodyRules", input, token=owner, tenant=tenant
        )
        assert codes(refused) == [code], refused
    assert await rows(owner_engine) == before


async def test_a_recorded_expiry_reads_through_the_api(
    client: Client, plan: Plan, runtime: Runtime
) -> None:
    """A certificate the lapse job recorded expired reads so, its history naming no person."""
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    certificate = await certify(client, plan, owner, months_ago(37))
    async with runtime.acting_in(plan.orgs["a"]) as db:
        assert await advance(db, TODAY) == Lapsed(expired=1)
        await db.commit()
    [node] = (await read(client, CERTIFICATES, owner, tenant))["certificates"]["edges"]
    assert (node["node"]["id"], node["node"]["state"]) == (certificate["id"], "EXPIRED")
    expires = certificate["expiresOn"]
    assert node["node"]["history"][-1] == {
        "state": "EXPIRED",
        "on": expires,
        "reason": f"Expired on {expires}; certification may be restored until"
        f" {add_months(date.fromisoformat(expires), 6)}: 6 months after expiry on {expires}.",
        "by": None,
    }
