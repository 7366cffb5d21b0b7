"""What `make bench` asks, and the data it asks it of.

The queries are the ones the benchmark drives; `prepare` makes the data on a migrated,
demo-seeded database through the public GraphQL API (as a client would), plus the two
consultancies and their owners that no mutation creates.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.passwords import hash_password
from tenants.models import Membership, Organization, OrganizationKind, User

TYPENAME = "{ __typename }"
ME = "{ me { user { email } } }"
# The program dashboard: measured here, held to a bounded statement count by
# tests/readiness/test_dashboard.py, and written by hand in baselines.py.
DASHBOARD = """
query Dashboard($id: ID!) {
  program(id: $id) {
    status
    standard { code edition }
    steps { number key status canComplete criteria { key met reason } checklist { key done } }
  }
  assessments(programId: $id, first: 500) {
    totalCount
    edges { node { status priority requirement { number title } actionCount } }
  }
}
"""
# A consultant's portfolio: every program of every client, with whether each step may complete.
PROGRAMS = """
query Programs {
  programs(first: 50) {
    totalCount
    edges { node { id status standard { code edition } organization { name }
                   steps { key status canComplete } } }
  }
}
"""

LARGE = ("ISO/IEC 27001", "2022")  # clauses 4-10 and Annex A: 123 assessable requirements
SMALL = ("ISO 14001", "2015")  # 32 assessable requirements
CLIENT_STANDARD = ("ISO 9001", "2015")
ASSESSED_SHARE = 0.4  # the demo's ISO/IEC 27001 program has about this share assessed
DEMO_OWNER = "owner@acme.example"
DEMO_CONSULTANT = "consultant@northwind.example"
BENCH_PASSWORD = "bench password, not a secret"
ONE_CLIENT = "one@bench-consulting.example"  # owner of a consultancy with one client
FIFTY_CLIENTS = "fifty@bench-consulting.example"  # ... and of one with fifty
_START = """
mutation Start($code: String!, $edition: String!, $scope: String!, $target: Date!) {
  startProgram(input: {standardCode: $code, standardEdition: $edition,
                       scopeStatement: $scope, targetDate: $target}) {
    program { id } errors { code message }
  }
}
"""
_PROGRAM_IDS = "{ programs(first: 50) { edges { node { id standard { code edition } } } } }"
_REQUIREMENT_IDS = """
query Ids($id: ID!) { assessments(programId: $id, first: 500) {
  edges { node { requirement { id } } } } }
"""
_ASSESS = """
mutation Assess($input: AssessRequirementsInput!) {
  assessRequirements(input: $input) { errors { code message } }
}
"""
_CREATE_CLIENT = """
mutation Client($name: String!, $slug: String!) {
  createOrganization(input: {name: $name, slug: $slug}) {
    organization { id } errors { code message }
  }
}
"""
_LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code message } }
}
"""


class ScenarioError(Exception):
    """The data a scenario needs could not be made; the message says which answer was wrong."""


def global_id(type_name: str, value: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def body(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"query": query, "variables": variables or {}}


def headers(token: str, tenant: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} | ({"X-Tenant-ID": tenant} if tenant else {})


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    tenant: str | None = None,
) -> dict[str, Any]:
    """The `data` of a GraphQL answer; any error or refusal raises ScenarioError."""
    response = await client.post(
        "/graphql", json=body(query, variables), headers=headers(token, tenant) if token else {}
    )
    answer: dict[str, Any] = response.json() if response.content else {}
    if response.status_code != 200 or answer.get("errors"):
        raise ScenarioError(f"{query.split()[:3]}: HTTP {response.status_code} {response.text}")
    data: dict[str, Any] = answer["data"]
    for value in data.values():
        if isinstance(value, dict) and value.get("errors"):
            raise ScenarioError(f"{query.split()[:3]}: {value['errors']}")
    return data


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    data = await gql(client, _LOGIN, {"email": email, "password": password})
    token: str = data["login"]["accessToken"]
    return token


async def start_program(
    client: httpx.AsyncClient, token: str, tenant: str, standard: tuple[str, str]
) -> str:
    variables = {
        "code": standard[0],
        "edition": standard[1],
        "scope": "All sites and activities.",
        "target": (date.today() + timedelta(days=365)).isoformat(),
    }
    data = await gql(client, _START, variables, token=token, tenant=tenant)
    program_id: str = data["startProgram"]["program"]["id"]
    return program_id


async def assess_share(
    client: httpx.AsyncClient, token: str, tenant: str, program_id: str, share: float
) -> None:
    """Assess the first `share` of a program's requirements as conformant."""
    data = await gql(client, _REQUIREMENT_IDS, {"id": program_id}, token=token, tenant=tenant)
    ids = [edge["node"]["requirement"]["id"] for edge in data["assessments"]["edges"]]
    items = [
        {"requirementId": rid, "status": "CONFORMANT", "currentPractice": "Practised and written."}
        for rid in ids[: round(len(ids) * share)]
    ]
    variables = {"input": {"programId": program_id, "items": items}}
    await gql(client, _ASSESS, variables, token=token, tenant=tenant)


@dataclass(frozen=True)
class Consultancy:
    email: str
    organization: uuid.UUID
    clients: int


def consultancies() -> tuple[Consultancy, Consultancy]:
    return (
        Consultancy(ONE_CLIENT, uuid.uuid4(), 1),
        Consultancy(FIFTY_CLIENTS, uuid.uuid4(), 50),
    )


async def add_consultancies(owner: AsyncEngine, items: tuple[Consultancy, ...]) -> None:
    """Consultancies and their owners, as the schema owner (no mutation signs people up)."""
    password = hash_password(BENCH_PASSWORD)
    async with AsyncSession(owner) as db:
        for item in items:
            slug = item.email.partition("@")[0] + "-bench-consulting"
            user = User(id=uuid.uuid4(), email=item.email, name=slug, password_hash=password)
            organization = Organization(
                id=item.organization,
                kind=OrganizationKind.CONSULTANCY.value,
                name=f"Bench {item.clients} Consulting",
                slug=slug,
                timezone="UTC",
            )
            db.add_all([user, organization])
            await db.flush()
            db.add(Membership(tenant_id=organization.id, user_id=user.id, role="owner"))
        await db.commit()


async def add_clients(client: httpx.AsyncClient, item: Consultancy) -> None:
    """The consultancy's clients, each with a program, made by the consultancy's owner."""
    token = await login(client, item.email, BENCH_PASSWORD)
    consultancy = global_id("Organization", item.organization)
    for number in range(item.clients):
        slug = f"bench-{item.clients}-client-{number}"
        made = await gql(
            client,
            _CREATE_CLIENT,
            {"name": f"Client {number} of {item.clients}", "slug": slug},
            token=token,
            tenant=consultancy,
        )
        tenant = made["createOrganization"]["organization"]["id"]
        await start_program(client, token, tenant, CLIENT_STANDARD)


@dataclass(frozen=True)
class Prepared:
    """Ids the scenarios ask with: the demo client's dashboards and the two portfolios."""

    tenant: str
    large_program: str
    small_program: str


async def prepare(client: httpx.AsyncClient, owner: AsyncEngine, password: str) -> Prepared:
    """On the demo: Acme's ISO/IEC 27001 program (123 requirements, part assessed), an ISO 14001
    program beside it (32, the same share assessed), and consultancies with 1 and 50 clients."""
    token = await login(client, DEMO_OWNER, password)
    data = await gql(client, _PROGRAM_IDS, token=token)
    programs = {
        (edge["node"]["standard"]["code"], edge["node"]["standard"]["edition"]): edge["node"]["id"]
        for edge in data["programs"]["edges"]
    }
    if LARGE not in programs:
        raise ScenarioError(f"the demo has no {LARGE} program: {sorted(programs)}")
    acme = await _tenant_of(client, token)
    small = await start_program(client, token, acme, SMALL)
    await assess_share(client, token, acme, small, ASSESSED_SHARE)
    items = consultancies()
    await add_consultancies(owner, items)
    for item in items:
        await add_clients(client, item)
    return Prepared(tenant=acme, large_program=programs[LARGE], small_program=small)


async def _tenant_of(client: httpx.AsyncClient, token: str) -> str:
    data = await gql(client, "{ me { memberships { organization { id } } } }", token=token)
    memberships = data["me"]["memberships"]
    if len(memberships) != 1:
        raise ScenarioError(f"{DEMO_OWNER} should belong to one organization: {memberships}")
    tenant: str = memberships[0]["organization"]["id"]
    return tenant
