"""The gap analysis over HTTP GraphQL: assessing, listing, siblings, the Statement of
Applicability, what each caller may do, and what a list costs in SQL statements."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assessments.models import Conformity, Priority
from backend.assessments.service import assess_requirement, assess_requirements
from backend.planning.models import Action, ActionRequirement, ActionStatus
from backend.programs.judgements import Judgement
from tests.api.helpers import count_statements, messages, post
from tests.assessments.helpers import Scene
from tests.support import Client, global_id, gql, login

ERRORS = "errors { field code message }"
ASSESSMENT = """
  id status currentPractice gapDescription justification priority implementation assessedAt
  requirement { number title }
  assessedBy { email }
  actionCount
  history { changedAt changedBy { email } before { status } after { status gapDescription } }
"""
ASSESS = f"""
mutation Assess($input: AssessRequirementInput!) {{
  assessRequirement(input: $input) {{ assessment {{ {ASSESSMENT} }} {ERRORS} }}
}}
"""
ASSESS_MANY = f"""
mutation AssessMany($input: AssessRequirementsInput!) {{
  assessRequirements(input: $input) {{ assessments {{ requirement {{ number }} status }} {ERRORS} }}
}}
"""
APPLY = f"""
mutation Apply($input: ApplyAssessmentToSiblingsInput!) {{
  applyAssessmentToSiblings(input: $input) {{
    assessments {{ requirement {{ number }} status gapDescription }} {ERRORS}
  }}
}}
"""
EXPORT = f"""
mutation Export($input: ExportStatementOfApplicabilityInput!) {{
  exportStatementOfApplicability(input: $input) {{ filename csv {ERRORS} }}
}}
"""
LIST = f"""
query List($programId: ID!, $status: AssessmentStatus, $clause: String, $component: String,
           $priority: Priority, $first: Int, $after: String) {{
  assessments(programId: $programId, status: $status, clause: $clause, component: $component,
              priority: $priority, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {ASSESSMENT} }} }}
  }}
}}
"""
GAPS = """
query Gaps($programId: ID!) { gaps(programId: $programId) { requirement { number } priority } }
"""
SOA = """
query Soa($programId: ID!) {
  statementOfApplicability(programId: $programId) {
    standard filename csv
    rows { control title theme applicability applicable justification implementation status }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on Assessment { status } } }"


def program_gid(program_id: uuid.UUID) -> str:
    return global_id("Program", program_id)


def requirement_gid(clause_id: uuid.UUID) -> str:
    return global_id("Requirement", clause_id)


async def run(
    client: Client, document: str, token: str, tenant: str | None, **variables: Any
) -> dict[str, Any]:
    """The data of a request that must not fail as a whole."""
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


@pytest.fixture
async def quality(scene: Scene) -> uuid.UUID:
    return await scene.start_program(scene.catalog.quality)


@pytest.fixture
async def security(scene: Scene) -> uuid.UUID:
    return await scene.start_program(scene.catalog.security)


# --- assessing -------------------------------------------------------------------------------


async def test_assess_a_requirement_and_read_its_history(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    token = await login(client, "a_owner")
    payload = (
        await run(
            client,
            ASSESS,
            token,
            scene.world.org_gid("a"),
            input={
                "programId": program_gid(quality),
                "requirementId": requirement_gid(scene.catalog.quality.clauses["8.5.1"]),
                "status": "PARTIAL",
                "currentPractice": "Paper travellers.",
                "gapDescription": "Batches cannot be traced.",
                "priority": "HIGH",
            },
        )
    )["assessRequirement"]
    assert payload["errors"] == []
    assessment = payload["assessment"]
    assert assessment["status"] == "PARTIAL"
    assert assessment["requirement"] == {"number": "8.5.1", "title": "Control of production"}
    assert assessment["assessedBy"] == {"email": "a_owner@example.test"}
    assert assessment["actionCount"] == 0
    [change] = assessment["history"]
    assert change["changedBy"] == {"email": "a_owner@example.test"}
    assert change["changedAt"] == assessment["assessedAt"]
    assert change["before"] == {"status": "NOT_ASSESSED"}
    assert change["after"] == {"status": "PARTIAL", "gapDescription": "Batches cannot be traced."}

    node = await run(client, NODE, token, None, id=assessment["id"])
    assert node["node"] == {"__typename": "Assessment", "status": "PARTIAL"}


async def test_not_applicable_without_justification_is_an_error_and_changes_nothing(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    token = await login(client, "a_owner")
    before = await scene.stored()
    payload = (
        await run(
            client,
            ASSESS,
            token,
            scene.world.org_gid("a"),
            input={
                "programId": program_gid(quality),
                "requirementId": requirement_gid(scene.catalog.quality.clauses["8.6"]),
                "status": "NOT_APPLICABLE",
            },
        )
    )["assessRequirement"]
    assert payload["assessment"] is None
    assert codes(payload) == [("INVALID", ["justification"])]
    assert await scene.stored() == before


async def test_bulk_errors_carry_their_item_index_and_nothing_is_saved(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    token = await login(client, "a_admin")
    clauses = scene.catalog.quality.clauses
    items = [
        {"requirementId": requirement_gid(clauses["4.1"]), "status": "CONFORMANT"},
        {"requirementId": requirement_gid(clauses["4.2"]), "status": "NONCONFORMANT"},
        {"requirementId": program_gid(quality), "status": "CONFORMANT"},  # not a requirement
        {"requirementId": requirement_gid(clauses["9.2"]), "status": "NOT_APPLICABLE"},
    ]
    before = await scene.stored()
    variables = {"input": {"programId": program_gid(quality), "items": items}}
    tenant = scene.world.org_gid("a")
    payload = (await run(client, ASSESS_MANY, token, tenant, **variables))["assessRequirements"]
    # A malformed id is found before the rules are checked: it alone is reported.
    assert codes(payload) == [("INVALID", ["items", "2", "requirementId"])]
    del items[2]
    payload = (await run(client, ASSESS_MANY, token, tenant, **variables))["assessRequirements"]
    assert payload["assessments"] is None
    assert codes(payload) == [
        ("INVALID", ["items", "1", "gapDescription"]),
        ("INVALID", ["items", "2", "justification"]),
    ]
    assert await scene.stored() == before

    items[1]["gapDescription"] = "Nobody owns it."
    items[2]["justification"] = "Audits are done by the group."
    payload = (await run(client, ASSESS_MANY, token, tenant, **variables))["assessRequirements"]
    assert payload["errors"] == []
    assert payload["assessments"] == [
        {"requirement": {"number": "4.1"}, "status": "CONFORMANT"},
        {"requirement": {"number": "4.2"}, "status": "NONCONFORMANT"},
        {"requirement": {"number": "9.2"}, "status": "NOT_APPLICABLE"},
    ]


async def test_apply_an_assessment_to_a_sibling_program(
    client: Client, scene: Scene, quality: uuid.UUID, security: uuid.UUID
) -> None:
    token = await login(client, "consultant")
    tenant = scene.world.org_gid("a")
    assessed = (
        await run(
            client,
            ASSESS,
            token,
            tenant,
            input={
                "programId": program_gid(quality),
                "requirementId": requirement_gid(scene.catalog.quality.clauses["9.2"]),
                "status": "NONCONFORMANT",
                "gapDescription": "No internal audits yet.",
            },
        )
    )["assessRequirement"]["assessment"]
    payload = (
        await run(
            client,
            APPLY,
            token,
            tenant,
            input={"assessmentId": assessed["id"], "programIds": [program_gid(security)]},
        )
    )["applyAssessmentToSiblings"]
    assert payload["errors"] == []
    assert payload["assessments"] == [
        {
            "requirement": {"number": number},
            "status": "NONCONFORMANT",
            "gapDescription": "No internal audits yet.",
        }
        for number in ("9.2", "A.5.35")
    ]

    wrong_kind = (
        await run(
            client,
            APPLY,
            token,
            tenant,
            input={"assessmentId": assessed["id"], "programIds": [assessed["id"]]},
        )
    )["applyAssessmentToSiblings"]
    assert codes(wrong_kind) == [("INVALID", ["programIds", "0"])]


# --- reading ---------------------------------------------------------------------------------


async def assess_quality(scene: Scene, program: uuid.UUID) -> None:
    """4.1 conformant, 4.2 partial low, 8.5.1 nonconformant high, 8.5.2 partial (no priority),
    9.2 partial high; the rest not assessed."""
    clauses = scene.catalog.quality.clauses
    gap = "A gap."
    judgements = [
        Judgement(clauses["4.1"], Conformity.CONFORMANT),
        Judgement(clauses["4.2"], Conformity.PARTIAL, gap_description=gap, priority=Priority.LOW),
        Judgement(
            clauses["8.5.1"], Conformity.NONCONFORMANT, gap_description=gap, priority=Priority.HIGH
        ),
        Judgement(clauses["8.5.2"], Conformity.PARTIAL, gap_description=gap),
        Judgement(clauses["9.2"], Conformity.PARTIAL, gap_description=gap, priority=Priority.HIGH),
    ]
    async with scene.acting("a_owner") as (db, actor):
        await assess_requirements(db, actor, program, judgements)


def numbers(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["requirement"]["number"] for edge in connection["edges"]]


async def test_assessments_filter_by_status_clause_component_and_priority(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    await assess_quality(scene, quality)
    token = await login(client, "a_viewer")
    program = program_gid(quality)

    async def listed(**filters: Any) -> list[str]:
        data = await run(client, LIST, token, None, programId=program, first=100, **filters)
        return numbers(data["assessments"])

    assert await listed(status="PARTIAL") == ["4.2", "8.5.2", "9.2"]
    assert await listed(clause="8.5") == ["8.5.1", "8.5.2"]
    assert await listed(clause="8") == ["8.5.1", "8.5.2", "8.6"]
    assert await listed(component="process_approach") == ["8.5.1", "8.5.2", "8.6"]
    assert await listed(priority="HIGH") == ["8.5.1", "9.2"]
    assert await listed(status="PARTIAL", priority="HIGH") == ["9.2"]
    assert await listed(clause="8.5%") == []  # wildcards are plain characters


async def test_assessments_page_through_the_catalog_order(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    token = await login(client, "a_owner")
    seen: list[str] = []
    after = None
    while True:
        data = await run(
            client, LIST, token, None, programId=program_gid(quality), first=40, after=after
        )
        connection = data["assessments"]
        assert connection["totalCount"] == len(scene.catalog.quality.assessable)
        seen += numbers(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == scene.catalog.quality.assessable


async def test_gaps_come_by_priority_then_catalog_order(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    await assess_quality(scene, quality)
    token = await login(client, "a_owner")
    data = await run(client, GAPS, token, None, programId=program_gid(quality))
    assert [(gap["requirement"]["number"], gap["priority"]) for gap in data["gaps"]] == [
        ("8.5.1", "HIGH"),
        ("9.2", "HIGH"),
        ("4.2", "LOW"),
        ("8.5.2", None),
    ]


async def link_actions(scene: Scene, program: uuid.UUID, clause_ids: list[uuid.UUID]) -> None:
    """Two actions per requirement, one of them cancelled (cancelled actions do not count)."""
    async with AsyncSession(scene.owner) as db:
        for clause_id in clause_ids:
            for status in (ActionStatus.OPEN, ActionStatus.CANCELLED):
                action = Action(
                    id=uuid.uuid4(),
                    tenant_id=scene.org("a"),
                    program_id=program,
                    title="Close the gap",
                    status=status.value,
                )
                db.add(action)
                await db.flush()
                db.add(
                    ActionRequirement(
                        tenant_id=scene.org("a"), action_id=action.id, clause_id=clause_id
                    )
                )
        await db.commit()


async def test_a_page_costs_the_same_statements_for_5_and_100_rows(
    client: Client, app: Litestar, scene: Scene, quality: uuid.UUID
) -> None:
    clauses = scene.catalog.quality
    await link_actions(scene, quality, [clauses.clauses[n] for n in clauses.assessable])
    await assess_quality(scene, quality)
    token = await login(client, "a_owner")
    engine = app.state.runtime.engine

    async def cost(first: int) -> tuple[int, list[dict[str, Any]]]:
        variables = {"programId": program_gid(quality), "first": first}
        await post(client, LIST, variables, token=token)  # warm up the pool
        with count_statements(engine) as statements:
            response = await post(client, LIST, variables, token=token)
        assert messages(response) == []
        edges: list[dict[str, Any]] = response.json()["data"]["assessments"]["edges"]
        assert len(edges) == first
        return len(statements), [edge["node"] for edge in edges]

    five, small = await cost(5)
    hundred, large = await cost(100)
    assert 0 < five == hundred
    assert {node["actionCount"] for node in large} == {1}
    assert small[0]["assessedBy"] == {"email": "a_owner@example.test"}
    assert [len(node["history"]) for node in small] == [1, 1, 1, 1, 0]  # 8.6 is not assessed


# --- the Statement of Applicability ----------------------------------------------------------


async def test_statement_of_applicability_query_and_export(
    client: Client, scene: Scene, security: uuid.UUID
) -> None:
    token = await login(client, "a_owner")
    tenant = scene.world.org_gid("a")
    await run(
        client,
        ASSESS,
        token,
        tenant,
        input={
            "programId": program_gid(security),
            "requirementId": requirement_gid(scene.catalog.security.clauses["A.6.1"]),
            "status": "NOT_APPLICABLE",
            "justification": "@No staff are hired: a one-person company.",
        },
    )
    statement = (await run(client, SOA, token, None, programId=program_gid(security)))[
        "statementOfApplicability"
    ]
    assert [row["control"] for row in statement["rows"]] == [
        "A.5.1",
        "A.5.2",
        "A.5.35",
        "A.6.1",
        "A.8.1",
    ]
    assert statement["rows"][3] == {
        "control": "A.6.1",
        "title": "Screening",
        "theme": "people",
        "applicability": "NOT_APPLICABLE",
        "applicable": False,
        "justification": "@No staff are hired: a one-person company.",
        "implementation": None,
        "status": "NOT_APPLICABLE",
    }
    # Not assessed yet: neither applicable nor excluded.
    assert statement["rows"][0] == {
        "control": "A.5.1",
        "title": "Policies for information security",
        "theme": "organizational",
        "applicability": "NOT_ASSESSED",
        "applicable": None,
        "justification": "",
        "implementation": None,
        "status": "NOT_ASSESSED",
    }
    assert (
        "A.6.1,Screening,people,not applicable,'@No staff are hired: a one-person company.,"
        "not applicable,\r\n" in statement["csv"]
    )
    assert (
        "A.5.1,Policies for information security,organizational,not yet assessed,,"
        "not assessed,\r\n" in statement["csv"]
    )

    exported = (
        await run(client, EXPORT, token, tenant, input={"programId": program_gid(security)})
    )["exportStatementOfApplicability"]
    assert exported == {"filename": statement["filename"], "csv": statement["csv"], "errors": []}


async def test_a_program_without_annex_controls_has_no_statement(
    client: Client, scene: Scene, quality: uuid.UUID
) -> None:
    token = await login(client, "a_owner")
    exported = (await run(client, EXPORT, token, None, input={"programId": program_gid(quality)}))[
        "exportStatementOfApplicability"
    ]
    assert exported["csv"] is None
    assert codes(exported) == [("INVALID", ["programId"])]
    body = await gql(client, SOA, {"programId": program_gid(quality)}, token=token)
    assert body["data"] == {"statementOfApplicability": None}
    assert [error["message"] for error in body["errors"]] == [exported["errors"][0]["message"]]


# --- who may do what -------------------------------------------------------------------------


def mutations(scene: Scene, program: uuid.UUID, assessment: str, sibling: uuid.UUID) -> list[Any]:
    """Every write of the gap analysis aimed at `program`, as (document, name, input)."""
    clause = requirement_gid(scene.catalog.quality.clauses["4.1"])
    return [
        (
            ASSESS,
            "assessRequirement",
            {"programId": program_gid(program), "requirementId": clause, "status": "CONFORMANT"},
        ),
        (
            ASSESS_MANY,
            "assessRequirements",
            {
                "programId": program_gid(program),
                "items": [{"requirementId": clause, "status": "CONFORMANT"}],
            },
        ),
        (
            APPLY,
            "applyAssessmentToSiblings",
            {"assessmentId": assessment, "programIds": [program_gid(sibling)]},
        ),
    ]


async def assessed_audit_clause(scene: Scene, program: uuid.UUID) -> str:
    async with scene.acting("a_owner") as (db, actor):
        row = await assess_requirement(
            db, actor, program, scene.catalog.quality.clauses["9.2"], status=Conformity.CONFORMANT
        )
    return global_id("Assessment", row.id)


@pytest.mark.parametrize("reader", ["auditor", "a_viewer"])
async def test_readers_read_everything_and_every_write_is_refused(
    client: Client, scene: Scene, quality: uuid.UUID, security: uuid.UUID, reader: str
) -> None:
    assessment = await assessed_audit_clause(scene, quality)
    token = await login(client, reader)
    tenant = scene.world.org_gid("a")
    listed = await run(client, LIST, token, tenant, programId=program_gid(quality), first=1)
    assert listed["assessments"]["totalCount"] == len(scene.catalog.quality.assessable)
    node = await run(client, NODE, token, tenant, id=assessment)
    assert node["node"] == {"__typename": "Assessment", "status": "CONFORMANT"}
    exported = (
        await run(client, EXPORT, token, tenant, input={"programId": program_gid(security)})
    )["exportStatementOfApplicability"]
    assert exported["errors"] == []  # a read: auditors need the statement most of all

    before = await scene.stored()
    for document, name, input in mutations(scene, quality, assessment, security):
        payload = (await run(client, document, token, tenant, input=input))[name]
        assert [error["code"] for error in payload["errors"]] == ["FORBIDDEN"], name
    assert await scene.stored() == before


async def test_another_tenants_program_and_assessment_answer_like_random_ids(
    client: Client, scene: Scene, quality: uuid.UUID, security: uuid.UUID
) -> None:
    assessment = await assessed_audit_clause(scene, quality)
    sibling = await scene.start_program(scene.catalog.security, scene.org("b"))
    token = await login(client, "b_owner")
    tenant = scene.world.org_gid("b")
    before = await scene.stored()

    async def answers(program: uuid.UUID, assessment_id: str) -> list[Any]:
        """Everything B's owner learns when aiming at `program` and `assessment_id`."""
        found: list[Any] = []
        for document, name, input in mutations(scene, program, assessment_id, sibling):
            found.append((await run(client, document, token, tenant, input=input))[name])
        for document in (LIST, GAPS, SOA):
            found.append(await run(client, document, token, None, programId=program_gid(program)))
        found.append(await run(client, NODE, token, None, id=assessment_id))
        export = {"programId": program_gid(program)}
        found.append(await run(client, EXPORT, token, tenant, input=export))
        return found

    foreign = await answers(quality, assessment)
    random = await answers(uuid.uuid4(), global_id("Assessment", uuid.uuid4()))
    assert foreign == random
    assert foreign[0]["errors"][0]["code"] == "NOT_FOUND"
    assert foreign[3] == {
        "assessments": {
            "totalCount": 0,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "edges": [],
        }
    }
    assert await scene.stored() == before
