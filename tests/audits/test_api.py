"""The audits API over HTTP: an audit from plan to signature, coverage, the list and its
filters, what auditors, viewers and other tenants may do, and what an audit costs to read."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.catalog.models import Clause, ClauseKind, Standard
from backend.planning.models import Action, ActionRequirement
from backend.programs.models import Program, ProgramStep, StepKey
from tests.api.helpers import count_statements
from tests.audits.helpers import PERIOD
from tests.findings.helpers import TODAY, add_evidence
from tests.planning.helpers import Plan
from tests.support import Client, global_id, gql, login

ERRORS = "errors { field code message }"
LINE = """
id position question notes sampledRecords result requirement { number } program { id }
evidence { filename } documents { code } findings { reference status }
"""
AUDIT = f"""
id reference title status allowedTransitions locked criteria objectives processes sites
auditeeContacts plannedStart plannedEnd actualStart actualEnd conclusion signedAt
programme {{ title }} leadAuditor {{ name }} signedBy {{ name }} team {{ name user {{ name }} }}
checklist {{ {LINE} }}
findings {{ reference requirements {{ requirement {{ number }} }} }}
"""
AUDIT_BY_ID = f"query($id: ID!) {{ audit(id: $id) {{ {AUDIT} }} }}"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Audit { reference } } }"
AUDITS = """
query($programmeId: ID, $status: AuditStatus, $standardId: ID, $periodStart: Date,
      $periodEnd: Date) {
  audits(programmeId: $programmeId, status: $status, standardId: $standardId,
         periodStart: $periodStart, periodEnd: $periodEnd) {
    totalCount edges { node { reference } }
  }
}
"""
COVERAGE = """
query($id: ID!) { auditCoverage(programmeId: $id) {
  coveredCount dueCount programme { title }
  requirements { requirement { number } program { id } due audited atRisk covered }
} }
"""
PROGRAMMES = "query { auditProgrammes { totalCount edges { node { title programs { id } } } } }"
PAYLOADS = {
    "createAuditProgramme": ("CreateAuditProgrammeInput", "programme { id title }"),
    "updateAuditProgramme": ("UpdateAuditProgrammeInput", "programme { id title }"),
    "planAudit": ("PlanAuditInput", f"audit {{ {AUDIT} }} warnings"),
    "updateAudit": ("UpdateAuditInput", f"audit {{ {AUDIT} }} warnings"),
    "startAudit": ("StartAuditInput", "audit { status actualStart } warnings"),
    "recordChecklistResult": ("RecordChecklistResultInput", f"line {{ {LINE} }}"),
    "finishFieldwork": ("FinishFieldworkInput", "audit { status actualEnd }"),
    "signAudit": ("SignAuditInput", "audit { status locked conclusion signedBy { name } }"),
    "cancelAudit": ("CancelAuditInput", "audit { status locked }"),
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


def programme_input(plan: Plan, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Internal audits 2026",
        "periodStart": str(PERIOD[0]),
        "periodEnd": str(PERIOD[1]),
        "scope": [{"programId": plan.program_gid("a")}, {"programId": plan.program_gid("a_q")}],
        **overrides,
    }


def audit_input(plan: Plan, programme_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "programmeId": programme_id,
        "reference": "IA-2026-01",
        "title": "Documented information, integrated",
        "plannedStart": str(TODAY),
        "plannedEnd": str(TODAY + timedelta(days=1)),
        "leadAuditorId": plan.user_gid("a_admin"),
        "team": [{"userId": plan.user_gid("a_manager")}, {"name": "Dana External"}],
        "scope": [
            {"programId": plan.program_gid("a"), "requirements": ["7.5"]},
            {"programId": plan.program_gid("a_q"), "requirements": ["7.5"]},
        ],
        "criteria": "Our document control procedure",
        "processes": ["Document control"],
        "sites": ["Main plant"],
        "auditeeContacts": ["Quality manager"],
        **overrides,
    }


async def _programme(client: Client, plan: Plan, token: str, **overrides: Any) -> str:
    tenant = plan.org_gid("a")
    payload = await done(
        client,
        "createAuditProgramme",
        programme_input(plan, **overrides),
        token=token,
        tenant=tenant,
    )
    programme_id: str = payload["programme"]["id"]
    return programme_id


async def test_an_audit_from_plan_to_signature(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    programme_id = await _programme(client, plan, owner)
    planned = (
        await done(client, "planAudit", audit_input(plan, programme_id), token=owner, tenant=tenant)
    )["audit"]
    assert (planned["status"], planned["allowedTransitions"]) == (
        "PLANNED",
        ["IN_PROGRESS", "CANCELLED"],
    )
    assert [line["requirement"]["number"] for line in planned["checklist"]] == [
        "7.5.1",
        "7.5.2",
        "7.5",
    ]
    assert planned["team"] == [
        {"name": "A Manager", "user": {"name": "A Manager"}},
        {"name": "Dana External", "user": None},
    ]
    started = await done(client, "startAudit", {"id": planned["id"]}, token=owner, tenant=tenant)
    assert started["audit"] == {"status": "IN_PROGRESS", "actualStart": str(TODAY)}

    evidence = await add_evidence(owner_engine, plan.orgs["a"], "Document index")
    version = await _version_of(owner_engine, evidence)
    raised = await gql(
        client,
        "mutation($input: RaiseFindingInput!) { raiseFinding(input: $input) {"
        f" finding {{ id reference }} {ERRORS} }} }}",
        {
            "input": {
                "type": "OBSERVATION",
                "source": "INTERNAL_AUDIT",
                "statement": "The index lists two superseded procedures.",
                "requirements": [{"programId": plan.program_gid("a"), "requirement": "7.5.2"}],
            }
        },
        token=owner,
        tenant=tenant,
    )
    finding = raised["data"]["raiseFinding"]["finding"]
    first, second, third = planned["checklist"]
    line = (
        await done(
            client,
            "recordChecklistResult",
            {
                "lineId": second["id"],
                "result": "OBSERVATION",
                "notes": "Index is out of date.",
                "sampledRecords": "Index revision 12",
                "evidenceVersionIds": [global_id("EvidenceVersion", version)],
                "findingIds": [finding["id"]],
            },
            token=owner,
            tenant=tenant,
        )
    )["line"]
    assert (line["result"], line["evidence"], line["findings"]) == (
        "OBSERVATION",
        [{"filename": "record.pdf"}],
        [{"reference": finding["reference"], "status": "OPEN"}],
    )
    for other in (first, third):
        await done(
            client,
            "recordChecklistResult",
            {"lineId": other["id"], "result": "CONFORMANT"},
            token=owner,
            tenant=tenant,
        )
    finished = await done(
        client, "finishFieldwork", {"id": planned["id"]}, token=owner, tenant=tenant
    )
    assert finished["audit"]["status"] == "REPORTING"

    refused = await mutate(
        client,
        "signAudit",
        {"id": planned["id"], "conclusion": "Fine."},
        token=owner,
        tenant=tenant,
    )
    assert codes(refused) == ["FORBIDDEN"]
    lead = await login(client, "a_admin")
    signed = await done(
        client,
        "signAudit",
        {"id": planned["id"], "conclusion": "Documents are controlled."},
        token=lead,
        tenant=tenant,
    )
    assert signed["audit"] == {
        "status": "CLOSED",
        "locked": True,
        "conclusion": "Documents are controlled.",
        "signedBy": {"name": "A Admin"},
    }
    locked = await mutate(
        client,
        "updateAudit",
        {"id": planned["id"], "title": "Changed"},
        token=lead,
        tenant=tenant,
    )
    assert locked["errors"] == [
        {
            "field": ["id"],
            "code": "LOCKED",
            "message": "Cannot edit it now: IA-2026-01 is signed and locked.",
        }
    ]
    audit = (await read(client, AUDIT_BY_ID, owner, tenant, id=planned["id"]))["audit"]
    assert (audit["title"], audit["findings"]) == (
        "Documented information, integrated",
        [
            {
                "reference": finding["reference"],
                "requirements": [{"requirement": {"number": "7.5.2"}}],
            }
        ],
    )

    coverage = (await read(client, COVERAGE, owner, tenant, id=programme_id))["auditCoverage"]
    covered = {
        item["requirement"]["number"]: item["covered"]
        for item in coverage["requirements"]
        if item["program"]["id"] == plan.program_gid("a")
    }
    assert covered == {"7.5.1": True, "7.5.2": True, "8.5.1": False, "9.2": False, "10.2": False}
    assert (coverage["coveredCount"], coverage["dueCount"]) == (3, 4)  # of 7, in P and Q


async def _version_of(owner_engine: AsyncEngine, evidence: uuid.UUID) -> uuid.UUID:
    async with owner_engine.connect() as connection:
        found = await connection.exec_driver_sql(
            "SELECT id FROM evidence_versions WHERE evidence_id = $1", (evidence,)
        )
        version: uuid.UUID = found.scalar_one()
    return version


async def test_bad_input_is_a_user_error_and_changes_nothing(client: Client, plan: Plan) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    programme_id = await _programme(client, plan, owner)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"reference": " "}, ["INVALID"]),
        ({"scope": [{"programId": plan.program_gid("b")}]}, ["INVALID"]),  # not covered
        ({"scope": [{"programId": plan.program_gid("a"), "requirements": ["4.4"]}]}, ["INVALID"]),
        ({"leadAuditorId": plan.user_gid("b_owner")}, ["INVALID"]),
        ({"programmeId": plan.program_gid("a")}, ["INVALID"]),
        ({"team": [{"userId": plan.user_gid("a_manager"), "name": "Both"}]}, ["INVALID"]),
    ]
    for overrides, expected in cases:
        payload = await mutate(
            client,
            "planAudit",
            audit_input(plan, programme_id, **overrides),
            token=owner,
            tenant=tenant,
        )
        assert (codes(payload), payload["audit"]) == (expected, None), overrides
    assert (await read(client, AUDITS, owner, tenant))["audits"]["totalCount"] == 0
    await done(client, "planAudit", audit_input(plan, programme_id), token=owner, tenant=tenant)
    again = await mutate(
        client, "planAudit", audit_input(plan, programme_id), token=owner, tenant=tenant
    )
    assert again["errors"] == [
        {
            "field": ["reference"],
            "code": "CONFLICT",
            "message": "IA-2026-01 names another audit already.",
        }
    ]
    wrong = await mutate(
        client,
        "createAuditProgramme",
        programme_input(plan, periodEnd=str(PERIOD[0] - timedelta(days=1))),
        token=owner,
        tenant=tenant,
    )
    assert codes(wrong) == ["INVALID"]
    assert (await read(client, PROGRAMMES, owner, tenant))["auditProgrammes"]["totalCount"] == 1


async def test_independence_warned_comes_back_in_the_payload(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    async with AsyncSession(owner_engine) as db:
        action = Action(
            id=uuid.uuid4(),
            tenant_id=plan.orgs["a"],
            program_id=plan.programs["a"],
            title="Renumber the procedures",
            owner_id=plan.users["a_manager"],
        )
        db.add(action)
        await db.flush()
        db.add(
            ActionRequirement(
                tenant_id=plan.orgs["a"],
                action_id=action.id,
                clause_id=plan.clauses[("P", "7.5.1")],
            )
        )
        await db.commit()
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    refusing = await _programme(client, plan, owner)
    refused = await mutate(
        client, "planAudit", audit_input(plan, refusing), token=owner, tenant=tenant
    )
    assert codes(refused) == ["NOT_INDEPENDENT"]
    assert "A Manager audits 7.5.1" in refused["errors"][0]["message"]
    warning = await _programme(client, plan, owner, title="Warn only", independence="WARN")
    warned = await done(client, "planAudit", audit_input(plan, warning), token=owner, tenant=tenant)
    assert warned["warnings"] == [
        'A Manager audits 7.5.1 but owns its action "Renumber the procedures"'
    ]


async def test_the_list_filters_by_programme_status_standard_and_period(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    programme_id = await _programme(client, plan, owner)
    only_q = [{"programId": plan.program_gid("a_q")}]
    later = str(TODAY + timedelta(days=60))
    for reference, overrides in (
        ("IA-1", {}),
        ("IA-2", {"scope": only_q, "plannedStart": later, "plannedEnd": later}),
    ):
        await done(
            client,
            "planAudit",
            audit_input(plan, programme_id, reference=reference, **overrides),
            token=owner,
            tenant=tenant,
        )

    async def listed(**variables: Any) -> list[str]:
        data = await read(client, AUDITS, owner, tenant, **variables)
        return [edge["node"]["reference"] for edge in data["audits"]["edges"]]

    assert await listed() == ["IA-1", "IA-2"]
    assert await listed(programmeId=programme_id, status="PLANNED") == ["IA-1", "IA-2"]
    assert await listed(status="CLOSED") == []
    p_standard = global_id("Standard", plan.standards["P"])
    assert await listed(standardId=p_standard) == ["IA-1"]
    assert await listed(periodStart=str(TODAY + timedelta(days=30))) == ["IA-2"]
    assert await listed(periodEnd=str(TODAY)) == ["IA-1"]


async def test_auditors_read_and_change_nothing_viewers_are_forbidden_others_see_nothing(
    client: Client, plan: Plan
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    programme_id = await _programme(client, plan, owner)
    audit = (
        await done(client, "planAudit", audit_input(plan, programme_id), token=owner, tenant=tenant)
    )["audit"]
    for user in ("auditor", "a_viewer"):
        token = await login(client, user)
        seen = await read(client, AUDIT_BY_ID, token, tenant, id=audit["id"])
        assert seen["audit"]["reference"] == "IA-2026-01"
        for name, input in (
            ("startAudit", {"id": audit["id"]}),
            ("cancelAudit", {"id": audit["id"], "reason": "No."}),
            ("planAudit", audit_input(plan, programme_id, reference="IA-9")),
            ("createAuditProgramme", programme_input(plan)),
            ("recordChecklistResult", {"lineId": audit["checklist"][0]["id"], "notes": "x"}),
        ):
            refused = await mutate(client, name, input, token=token, tenant=tenant)
            assert codes(refused) == ["FORBIDDEN"], (user, name, refused)

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    assert (await read(client, AUDITS, stranger, b_tenant))["audits"]["totalCount"] == 0
    assert (await read(client, PROGRAMMES, stranger, b_tenant))["auditProgrammes"][
        "totalCount"
    ] == 0
    assert (await read(client, NODE, stranger, b_tenant, id=audit["id"]))["node"] is None
    assert (await read(client, COVERAGE, stranger, b_tenant, id=programme_id))[
        "auditCoverage"
    ] is None
    hidden = await mutate(
        client, "startAudit", {"id": audit["id"]}, token=stranger, tenant=b_tenant
    )
    assert codes(hidden) == ["NOT_FOUND"]
    still = await read(client, AUDIT_BY_ID, owner, tenant, id=audit["id"])
    assert still["audit"]["status"] == "PLANNED"


async def _big_program(owner_engine: AsyncEngine, plan: Plan, size: int) -> str:
    """A program of A on a throw-away standard of `size` requirements."""
    standard = Standard(
        id=uuid.uuid4(),
        code=f"TEST-BIG-{uuid.uuid4().hex[:8]}",
        edition="1",
        title="A large test standard",
        purpose="Counting statements.",
        components=[],
        source_digest="0" * 64,
    )
    standard.clauses = [
        Clause(
            id=uuid.uuid4(),
            number=f"{4 + n // 20}.{n % 20 + 1}",
            title=f"Topic {n}",
            kind=ClauseKind.CLAUSE.value,
            assessable=True,
            position=n,
        )
        for n in range(size)
    ]
    program = Program(
        id=uuid.uuid4(),
        tenant_id=plan.orgs["a"],
        standard_id=standard.id,
        scope_statement="Everything",
    )
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        db.add(standard)
        await db.flush()
        db.add(program)
        await db.flush()
        db.add_all(
            ProgramStep(tenant_id=plan.orgs["a"], program_id=program.id, number=n, key=key)
            for n, key in enumerate(StepKey, start=1)
        )
        await db.commit()
    plan.standards[standard.code] = standard.id
    plan.programs[standard.code] = program.id
    return global_id("Program", program.id)


async def test_an_audit_of_130_lines_costs_what_one_of_3_costs(
    client: Client, plan: Plan, app: Litestar, owner_engine: AsyncEngine
) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    big = await _big_program(owner_engine, plan, 130)
    scope = [{"programId": plan.program_gid("a")}, {"programId": big}]
    programme_id = await _programme(client, plan, owner, scope=scope)

    async def audit_of(reference: str, lines: list[dict[str, Any]]) -> str:
        planned = await done(
            client,
            "planAudit",
            audit_input(plan, programme_id, reference=reference, scope=lines),
            token=owner,
            tenant=tenant,
        )
        audit_id: str = planned["audit"]["id"]
        await done(client, "startAudit", {"id": audit_id}, token=owner, tenant=tenant)
        for line in planned["audit"]["checklist"][:3]:
            await done(
                client,
                "recordChecklistResult",
                {"lineId": line["id"], "result": "CONFORMANT", "notes": "Seen."},
                token=owner,
                tenant=tenant,
            )
        return audit_id

    small = await audit_of(
        "IA-S", [{"programId": plan.program_gid("a"), "requirements": ["7.5", "8.5.1"]}]
    )
    large = await audit_of("IA-L", [{"programId": big}])

    async def cost(audit_id: str) -> tuple[int, int]:
        await read(client, AUDIT_BY_ID, owner, tenant, id=audit_id)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, AUDIT_BY_ID, owner, tenant, id=audit_id)
        return len(sent), len(data["audit"]["checklist"])

    small_cost, small_lines = await cost(small)
    large_cost, large_lines = await cost(large)
    assert (small_lines, large_lines) == (3, 130)
    assert 0 < small_cost == large_cost
    print(f"statements to read an audit: {small_cost} for 3 lines, {large_cost} for 130")
