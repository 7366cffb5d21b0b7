"""The catalog over GraphQL: `standards`, `standard(code, edition)`, the clause tree, filtered
requirements, counts, relay nodes, who may read, and what it costs in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.catalog.loader import StandardData, read_catalog
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.api.helpers import count_statements, messages, post
from tests.support import Client, World, gql, login

CATALOG = {standard.label: standard for standard in read_catalog()}
QUALITY = CATALOG["ISO 9001:2015"]

STANDARDS = """
{ standards { id code edition title purpose components { key title }
              clauseCount requirementCount controlCount } }
"""
TREE = """
query($code: String!, $edition: String!) {
  standard(code: $code, edition: $edition) {
    code edition
    clauses {
      number parentNumber assessable kind
      children { number parentNumber assessable children { number parentNumber assessable } }
    }
  }
}
"""
REQUIREMENTS = """
query($code: String!, $edition: String!, $component: String, $documented: Boolean) {
  standard(code: $code, edition: $edition) {
    requirements(component: $component, documentedInformation: $documented) {
      id number title guidance kind theme components documentedInformation hsKey assessable
    }
  }
}
"""
NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Requirement { number hsKey standardId children { number } }
    ... on Standard { code clauseCount }
  }
}
"""
SHALLOW = "{ standards { code } }"
DEEP = """
{ standards {
    code clauseCount requirementCount controlCount
    clauses { number children { number children { number children { number } } } }
    requirements { number standardId }
} }
"""


def _expected_requirements(
    standard: StandardData, component: str | None = None, documented: bool | None = None
) -> list[str]:
    return [
        node.number
        for node in standard.nodes
        if node.assessable
        and (component is None or component in node.components)
        and (documented is None or node.documented_information is documented)
    ]


def _tree_variables(standard: StandardData) -> dict[str, str]:
    return {"code": standard.code, "edition": standard.edition}


@pytest.fixture
async def token(client: Client, world: World) -> str:
    return await login(client, "a_viewer")


async def test_standards_lists_every_edition_with_its_counts(client: Client, token: str) -> None:
    body = await gql(client, STANDARDS, token=token)
    listed = {f"{row['code']}:{row['edition']}": row for row in body["data"]["standards"]}
    for label, data in CATALOG.items():
        row = listed[label]
        assert row["title"] == data.title
        assert [(c["key"], c["title"]) for c in row["components"]] == list(data.components)
        assert row["clauseCount"] == data.clause_count
        assert row["requirementCount"] == data.assessable_count
        assert row["controlCount"] == data.control_count
    assert (listed["ISO 9001:2015"]["clauseCount"], listed["ISO 9001:2015"]["controlCount"]) == (
        91,
        0,
    )


async def test_the_clause_tree_nests_children_under_their_parents(
    client: Client, token: str
) -> None:
    body = await gql(client, TREE, _tree_variables(QUALITY), token=token)
    clauses = body["data"]["standard"]["clauses"]
    assert [c["number"] for c in clauses] == [str(n) for n in range(4, 11)]
    assert all(c["parentNumber"] is None and c["kind"] == "CLAUSE" for c in clauses)
    operation = next(c for c in clauses if c["number"] == "8")
    assert [c["number"] for c in operation["children"]] == [f"8.{n}" for n in range(1, 8)]
    production = next(c for c in operation["children"] if c["number"] == "8.5")
    assert production["assessable"] is False
    assert [(c["number"], c["parentNumber"], c["assessable"]) for c in production["children"]] == [
        (f"8.5.{n}", "8.5", True) for n in range(1, 7)
    ]
    release = next(c for c in operation["children"] if c["number"] == "8.6")
    assert (release["assessable"], release["children"]) == (True, [])


async def test_requirements_are_the_assessable_nodes_in_document_order(
    client: Client, token: str
) -> None:
    body = await gql(client, REQUIREMENTS, _tree_variables(QUALITY), token=token)
    rows = body["data"]["standard"]["requirements"]
    assert [row["number"] for row in rows] == _expected_requirements(QUALITY)
    audit = next(row for row in rows if row["number"] == "9.2.2")
    assert audit["hsKey"] == "9.2.2"
    assert audit["documentedInformation"] is True
    assert audit["guidance"]
    assert "improvement" in audit["components"]


@pytest.mark.parametrize(
    ("component", "documented"),
    [("customer_focus", None), (None, True), (None, False), ("relationship_management", True)],
)
async def test_requirements_filter_by_component_and_documented_information(
    client: Client, token: str, component: str | None, documented: bool | None
) -> None:
    variables: dict[str, Any] = {
        **_tree_variables(QUALITY),
        "component": component,
        "documented": documented,
    }
    body = await gql(client, REQUIREMENTS, variables, token=token)
    numbers = [row["number"] for row in body["data"]["standard"]["requirements"]]
    expected = _expected_requirements(QUALITY, component, documented)
    assert numbers == expected
    assert 0 < len(expected) < QUALITY.assessable_count


async def test_an_unknown_component_is_an_error_not_an_empty_list(
    client: Client, token: str
) -> None:
    variables = {**_tree_variables(QUALITY), "component": "environmental_policy"}
    response = await post(client, REQUIREMENTS, variables, token=token)
    (message,) = messages(response)
    assert "ISO 9001:2015 has no component 'environmental_policy'" in message
    assert "customer_focus" in message


async def test_annex_controls_are_requirements_with_their_theme(client: Client, token: str) -> None:
    security = CATALOG.get("ISO/IEC 27001:2022")
    if security is None:
        pytest.skip("the ISO/IEC 27001:2022 data file is not in the catalog yet")
    body = await gql(client, REQUIREMENTS, _tree_variables(security), token=token)
    controls = [r for r in body["data"]["standard"]["requirements"] if r["kind"] == "CONTROL"]
    assert len(controls) == 93
    assert {control["theme"] for control in controls} == {
        "organizational",
        "people",
        "physical",
        "technological",
    }


async def test_an_unknown_edition_is_null(client: Client, token: str) -> None:
    body = await gql(client, TREE, {"code": "ISO 9001", "edition": "1987"}, token=token)
    assert body == {"data": {"standard": None}}


async def test_requirements_and_standards_resolve_as_nodes(client: Client, token: str) -> None:
    body = await gql(client, REQUIREMENTS, _tree_variables(QUALITY), token=token)
    rows = body["data"]["standard"]["requirements"]
    audit_id = next(row["id"] for row in rows if row["number"] == "9.2.2")
    standards = (await gql(client, STANDARDS, token=token))["data"]["standards"]
    quality_id = next(row["id"] for row in standards if row["code"] == "ISO 9001")
    node = (await gql(client, NODE, {"id": audit_id}, token=token))["data"]["node"]
    assert node == {
        "__typename": "Requirement",
        "number": "9.2.2",
        "hsKey": "9.2.2",
        "standardId": quality_id,
        "children": [],
    }
    node = (await gql(client, NODE, {"id": quality_id}, token=token))["data"]["node"]
    assert node == {
        "__typename": "Standard",
        "code": "ISO 9001",
        "clauseCount": QUALITY.clause_count,
    }


async def test_an_auditor_reads_the_catalog_without_acting_anywhere(
    client: Client, world: World
) -> None:
    token = await login(client, "auditor")
    body = await gql(client, TREE, _tree_variables(QUALITY), token=token)
    assert len(body["data"]["standard"]["clauses"]) == 7


async def test_the_catalog_needs_a_signed_in_user(client: Client, token: str) -> None:
    assert messages(await post(client, STANDARDS)) == ["Log in first."]
    assert messages(await post(client, TREE, _tree_variables(QUALITY))) == ["Log in first."]
    requirements = await gql(client, REQUIREMENTS, _tree_variables(QUALITY), token=token)
    some_id = requirements["data"]["standard"]["requirements"][0]["id"]
    assert messages(await post(client, NODE, {"id": some_id})) == ["Log in first."]


async def _statements(client: Client, app: Litestar, query: str, token: str) -> int:
    """Statements the served app sends for `query` (its runtime, not the tests' own)."""
    runtime: ApiRuntime = app.state.runtime
    await post(client, query, token=token)  # warm up: connection set-up is not the query's cost
    with count_statements(runtime.engine) as statements:
        response = await post(client, query, token=token)
    assert messages(response) == []
    return len(statements)


@pytest.fixture
async def uncapped(migrated: Settings) -> AsyncIterator[tuple[Client, Litestar]]:
    """The whole catalog in one operation costs more than the cost limit lets a client ask
    for; what is counted here is statements, so this app lifts the limit."""
    app = create_app(ApiRuntime.build(migrated.model_copy(update={"graphql_max_cost": 10**9})))
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        yield client, app


async def test_the_whole_catalog_tree_costs_no_query_per_node(
    uncapped: tuple[Client, Litestar], token: str
) -> None:
    client, app = uncapped
    shallow = await _statements(client, app, SHALLOW, token)
    deep = await _statements(client, app, DEEP, token)
    assert shallow > 0
    # One more statement for all clauses of all standards, whatever the number of nodes.
    assert deep == shallow + 1
