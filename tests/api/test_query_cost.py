"""The cost limit: every operation is costed before it runs, and amplifying ones are refused
before any resolver (and so any SQL beyond the request's own set-up) runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
)
from graphql.utilities import get_operation_ast

from backend.api.cost import Costing, declared_maximum, fragments_of, is_connection, is_paginated
from backend.api.schema import schema
from backend.settings import Settings
from tests.api.helpers import count_statements, messages, post
from tests.bench.scenarios import DASHBOARD
from tests.support import Client, World, login

LIMIT: int = Settings.model_fields["graphql_max_cost"].default
OPERATIONS = sorted(
    (Path(__file__).resolve().parents[2] / "graphql" / "operations").glob("*.graphql")
)

# Organizations lead to their members, members to their organization: 100 x 100 x 100, within
# the depth limit.
CYCLE = """
{ organizations(first: 100) { edges { node {
    members(first: 100) { edges { node { organization {
      members(first: 100) { edges { node { role } } }
    } } } }
} } } }
"""
# Fifteen aliases (the most allowed), each asking for the whole catalog.
CATALOG = "standards { requirements { number title guidance children { number } } }"
ALIASES = "{ " + " ".join(f"a{i}: {CATALOG}" for i in range(15)) + " }"
# The same fan-out as CYCLE, with its page sizes in a variable.
SIZED = """
query Sized($size: Int) {
  organizations(first: $size) { edges { node {
    members(first: $size) { edges { node { organization {
      members(first: $size) { edges { node { role } } }
    } } } }
  } } }
}
"""


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return Costing(schema._schema, fragments_of(document), operation, variables).total()


def _list_fields() -> list[tuple[str, GraphQLField, GraphQLObjectType | GraphQLInterfaceType]]:
    found = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in type_.fields.items():
                if is_list_type(get_nullable_type(field.type)):
                    found.append((f"{type_.name}.{name}", field, type_))
    return found


def test_every_list_of_objects_is_paginated_or_declares_its_maximum() -> None:
    # A list of scalars has no items' fields to multiply; its size only counts in the answer.
    undeclared = [
        name
        for name, field, parent in _list_fields()
        if not is_leaf_type(get_named_type(field.type))
        and declared_maximum(field) is None
        and not is_paginated(field)
        and not is_connection(parent)
    ]
    assert undeclared == []


def test_connections_are_only_reached_through_a_page_argument() -> None:
    """Their `edges` count at the page size they were asked for, so that size must exist."""
    unpaged = [
        f"{parent.name}.{name}"
        for parent in schema._schema.type_map.values()
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        for name, field in parent.fields.items()
        if is_connection(get_named_type(field.type)) and not is_paginated(field)
    ]
    assert unpaged == []


def test_each_field_costs_one_and_lists_multiply_by_their_maximum_or_page() -> None:
    assert cost("{ me { user { name } } }") == 3
    # 1 for standards, then at most 20 standards with 1 field each.
    assert cost("{ standards { code } }") == 1 + 20 * 1
    # A connection's page sizes its edges; totalCount is counted once.
    assert cost("{ organizations(first: 7) { totalCount edges { node { slug } } } }") == (
        1 + 1 + (1 + 7 * (1 + 1))
    )
    # Omitted, the page is the default page of 20.
    assert cost("{ organizations { edges { node { slug } } } }") == 1 + 1 + 20 * 2


def test_fragments_and_inline_fragments_count_where_they_are_spread() -> None:
    plain = "{ standards { code clauses { number } } }"
    spread = "{ standards { ...S } } fragment S on Standard { code clauses { number } }"
    inline = "{ standards { ... on Standard { code clauses { number } } } }"
    assert cost(plain) == cost(spread) == cost(inline) == 1 + 20 * (1 + 1 + 7)


def test_introspection_is_cheap() -> None:
    assert cost("{ __schema { types { name fields { name type { name } } } } }") == 1
    assert cost("{ standards { __typename } }") == 1 + 20


def test_variables_size_pages_at_their_value_or_default() -> None:
    literal = SIZED.replace("($size: Int)", "").replace("$size", "2")
    assert (
        cost(SIZED, {"size": 2})
        == cost(literal)
        == 1 + (1 + 2 * (1 + 1 + (1 + 2 * (1 + 1 + 1 + (1 + 2 * 2)))))
    )
    with_default = SIZED.replace("($size: Int)", "($size: Int = 3)")
    assert cost(with_default, {}) == cost(SIZED, {"size": 3})
    assert cost(SIZED, {"size": None}) == cost(SIZED, {"size": 20})  # null: the default page
    assert cost(SIZED, {"size": 10**6}) == cost(SIZED, {"size": 100})  # beyond: refused anyway


def test_the_dashboard_and_the_spa_operations_cost_well_within_the_limit() -> None:
    assert cost(DASHBOARD) * 5 < LIMIT
    for path in OPERATIONS:
        assert cost(path.read_text()) * 5 < LIMIT, path.name


def test_amplifying_queries_cost_far_beyond_the_limit() -> None:
    assert cost(CYCLE) > 50 * LIMIT
    assert cost(ALIASES) > 10 * LIMIT


async def _refused_before_any_resolver(
    client: Client, query: str, token: str, variables: dict[str, Any] | None = None
) -> str:
    """The refusal, checking that the request sent only the statements that set up every
    request (authentication, entitlements): nothing of the operation itself ran."""
    with count_statements() as baseline:
        await post(client, "{ __typename }", token=token)
    with count_statements() as statements:
        response = await post(client, query, variables, token=token)
    assert len(statements) == len(baseline)
    (message,) = messages(response)
    assert response.json()["data"] is None
    return message


@pytest.mark.parametrize(("query", "expected"), [(CYCLE, cost(CYCLE)), (ALIASES, cost(ALIASES))])
async def test_amplifying_queries_are_refused_before_they_run(
    client: Client, world: World, query: str, expected: int
) -> None:
    token = await login(client, "consultant")
    message = await _refused_before_any_resolver(client, query, token)
    assert message == f"Query cost {expected} exceeds the limit of {LIMIT} (GRAPHQL_MAX_COST)."


async def test_the_old_catalog_cycle_is_cut(client: Client, world: World) -> None:
    token = await login(client, "a_viewer")
    cycle = "{ standards { requirements { standard { requirements { number } } } } }"
    (message,) = messages(await post(client, cycle, token=token))
    assert message.startswith("Cannot query field 'standard' on type 'Requirement'.")


async def test_a_page_size_in_a_variable_is_judged_with_its_value(
    client: Client, world: World
) -> None:
    token = await login(client, "consultant")
    small = await post(client, SIZED, {"size": 2}, token=token)
    assert messages(small) == []
    assert small.json()["data"]["organizations"]["edges"]
    # The same text, now cached and validated, is costed again with the larger value.
    message = await _refused_before_any_resolver(client, SIZED, token, {"size": 100})
    assert message == f"Query cost {cost(SIZED, {'size': 100})} exceeds the limit of {LIMIT}" + (
        " (GRAPHQL_MAX_COST)."
    )


async def test_a_literal_over_the_limit_is_a_validation_error(client: Client) -> None:
    response = await client.post(
        "/graphql",
        json={"query": CYCLE},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert "GRAPHQL_MAX_COST" in response.json()["errors"][0]["message"]
