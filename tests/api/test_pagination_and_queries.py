"""Cursor connections walk whole lists, and list fields cost per field, not per row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.api.schema import cached_validate
from backend.runtime import Runtime
from tests.api.helpers import (
    add_managed_clients,
    add_members,
    add_membership,
    count_statements,
    messages,
    post,
)
from tests.support import Client, World, gql, login

ORGANIZATIONS_PAGE = """
query($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug name viewerRole } }
  }
}
"""
MEMBERS_PAGE = """
query($slug: String!, $first: Int, $after: String) {
  organization(slug: $slug) {
    members(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { role user { email } } }
    }
  }
}
"""
ORGANIZATIONS_WITH_MEMBERS = """
{ organizations { edges { node { slug members { edges { node { user { email } } } } } } } }
"""
ORGANIZATIONS_WITH_LISTS = """
{
  organizations {
    edges {
      node {
        slug
        members { totalCount edges { node { role user { email } } } }
        auditorGrants { totalCount edges { node { isActive certificationBody { slug } } } }
      }
    }
  }
}
"""


async def _walk(
    client: Client, query: str, token: str, path: list[str], variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every page of a connection, one item at a time; checks the page info on each step."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        body = await gql(client, query, {**variables, "first": 1, "after": after}, token=token)
        connection = body["data"]
        for key in path:
            connection = connection[key]
        pages.append(connection)
        assert len(connection["edges"]) <= 1
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        assert len(pages) < 50, "the connection never ends"
        after = connection["pageInfo"]["endCursor"]
        assert after


async def test_organizations_first_1_walks_every_entitled_org(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    consultancy = world.orgs["consultancy"]
    managed = await add_managed_clients(owner_engine, consultancy.id, 2)
    token = await login(client, "consultant")

    pages = await _walk(client, ORGANIZATIONS_PAGE, token, ["organizations"], {})

    names = [page["edges"][0]["node"]["name"] for page in pages]
    expected = sorted([world.orgs["a"].name, consultancy.name, *(o.name for o in managed)])
    assert names == expected
    assert {page["totalCount"] for page in pages} == {4}
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True, True]
    for page in pages:
        assert (
            page["pageInfo"]["startCursor"]
            == page["pageInfo"]["endCursor"]
            == page["edges"][0]["cursor"]
        )
    assert world.orgs["b"].name not in names


async def test_organizations_page_past_the_end_is_empty(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    first = await gql(client, ORGANIZATIONS_PAGE, {"first": 1}, token=token)
    connection = first["data"]["organizations"]
    assert connection["totalCount"] == 1
    assert connection["pageInfo"]["hasNextPage"] is False
    after = connection["pageInfo"]["endCursor"]
    rest = await gql(client, ORGANIZATIONS_PAGE, {"first": 10, "after": after}, token=token)
    page = rest["data"]["organizations"]
    assert page["edges"] == []
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_organizations_first_0_counts_without_rows(client: Client, world: World) -> None:
    token = await login(client, "consultant")
    body = await gql(client, ORGANIZATIONS_PAGE, {"first": 0}, token=token)
    connection = body["data"]["organizations"]
    assert connection["edges"] == []
    assert connection["totalCount"] == 2
    assert connection["pageInfo"]["hasNextPage"] is True


async def test_members_connection_walks_every_member(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    pages = await _walk(client, MEMBERS_PAGE, token, ["organization", "members"], {"slug": "a-org"})
    emails = [page["edges"][0]["node"]["user"]["email"] for page in pages]
    assert sorted(emails) == [
        "a_admin@example.test",
        "a_owner@example.test",
        "a_viewer@example.test",
    ]
    assert {page["totalCount"] for page in pages} == {3}


async def test_members_of_another_tenant_are_not_reachable(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    body = await gql(client, MEMBERS_PAGE, {"slug": "b-org", "first": 10}, token=token)
    assert body == {"data": {"organization": None}}


async def _statements_for(
    client: Client, runtime: Runtime, query: str, token: str
) -> tuple[int, Any]:
    await post(client, query, token=token)  # warm up: connection set-up is not the query's cost
    with count_statements() as statements:
        response = await post(client, query, token=token)
    assert messages(response) == []
    return len(statements), response.json()["data"]


async def test_member_list_costs_the_same_for_2_and_10_members(
    client: Client, world: World, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    org_b = world.orgs["b"]
    await add_members(owner_engine, org_b.id, 1)
    token = await login(client, "b_owner")

    with_two, data = await _statements_for(client, runtime, ORGANIZATIONS_WITH_MEMBERS, token)
    assert len(data["organizations"]["edges"][0]["node"]["members"]["edges"]) == 2

    await add_members(owner_engine, org_b.id, 8)
    with_ten, data = await _statements_for(client, runtime, ORGANIZATIONS_WITH_MEMBERS, token)
    assert len(data["organizations"]["edges"][0]["node"]["members"]["edges"]) == 10

    assert with_ten == with_two


async def test_member_lists_cost_the_same_for_2_and_6_organizations(
    client: Client, world: World, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    """Each organization's lists are list fields inside a list: they must be batched."""
    token = await login(client, "consultant")
    with_two_orgs, data = await _statements_for(client, runtime, ORGANIZATIONS_WITH_LISTS, token)
    assert len(data["organizations"]["edges"]) == 2
    grants = {e["node"]["slug"]: e["node"]["auditorGrants"] for e in data["organizations"]["edges"]}
    assert grants["a-org"]["totalCount"] == 1
    assert grants["a-org"]["edges"][0]["node"] == {
        "isActive": True,
        "certificationBody": {"slug": "body-org"},
    }

    await add_managed_clients(owner_engine, world.orgs["consultancy"].id, 4, members_each=3)
    with_six_orgs, data = await _statements_for(client, runtime, ORGANIZATIONS_WITH_LISTS, token)
    edges = data["organizations"]["edges"]
    assert len(edges) == 6
    assert sum(len(edge["node"]["members"]["edges"]) for edge in edges) == 3 + 1 + 4 * 3

    assert with_six_orgs == with_two_orgs


async def test_me_memberships_cost_does_not_grow_with_memberships(
    client: Client, world: World, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    query = "{ me { memberships { role organization { slug } user { email } } } }"
    token = await login(client, "consultant")
    before, data = await _statements_for(client, runtime, query, token)
    assert len(data["me"]["memberships"]) == 1

    clients = await add_managed_clients(owner_engine, world.orgs["consultancy"].id, 3)
    for organization in clients:
        await add_membership(owner_engine, organization.id, world.users["consultant"].id)
    after, data = await _statements_for(client, runtime, query, token)
    assert len(data["me"]["memberships"]) == 4
    assert after == before


async def test_repeated_operations_hit_the_validation_cache(client: Client, world: World) -> None:
    """Validation is the largest fixed cost of a small query; a repeat must not pay it again."""
    cache = cached_validate
    token = await login(client, "a_owner")
    query = "{ me { user { email } } }"
    await gql(client, query, token=token)
    before = cache.cache_info()
    for _ in range(3):
        await gql(client, query, token=token)
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
