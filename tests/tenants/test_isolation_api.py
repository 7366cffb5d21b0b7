"""Tenant isolation over HTTP GraphQL: who may read, list, find and change what.

A principal never learns whether another tenant's object exists: every lookup of a foreign id
answers exactly as a random id does, and every refused change leaves the database as it was.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tenants.models import AuditorGrant
from tests.support import Client, World, global_id, gql, login
from tests.tenants.helpers import owner_execute, owner_scalar, random_gid, snapshot

# --- documents -----------------------------------------------------------------------------

ORGANIZATION = """
query Organization($slug: String!) {
  organization(slug: $slug) {
    id slug viewerRole
    members { totalCount edges { node { role user { email } } } }
    auditorGrants { totalCount edges { node { isActive certificationBody { slug } } } }
  }
}
"""
ORGANIZATIONS = """
query { organizations(first: 100) { totalCount edges { node { slug } } } }
"""
NODE = """
query Node($id: ID!) { node(id: $id) { __typename id } }
"""
ME = """
query {
  me {
    user { email }
    memberships { organization { slug } }
    organizations { organization { slug } role canWrite }
  }
}
"""
ERRORS = "errors { field code message }"
MUTATIONS = {
    "createOrganization": f"organization {{ id slug kind }} {ERRORS}",
    "updateOrganization": f"organization {{ id name slug timezone }} {ERRORS}",
    "inviteMember": f"invitation {{ id role email }} invitationToken {ERRORS}",
    "changeMemberRole": f"membership {{ id role }} {ERRORS}",
    "removeMember": f"removedMembershipId {ERRORS}",
    "grantAuditorAccess": f"grant {{ id isActive certificationBody {{ slug }} }} {ERRORS}",
    "revokeAuditorAccess": f"grant {{ id revokedAt isActive }} {ERRORS}",
    "endEngagement": f"engagement {{ id isActive endedAt }} {ERRORS}",
}
INPUT_TYPES = {
    "createOrganization": "CreateOrganizationInput",
    "updateOrganization": "UpdateOrganizationInput",
    "inviteMember": "InviteMemberInput",
    "changeMemberRole": "ChangeMemberRoleInput",
    "removeMember": "RemoveMemberInput",
    "grantAuditorAccess": "GrantAuditorAccessInput",
    "revokeAuditorAccess": "RevokeAuditorAccessInput",
    "endEngagement": "EndEngagementInput",
}


def mutation_document(name: str) -> str:
    return (
        f"mutation Run($input: {INPUT_TYPES[name]}!) "
        f"{{ {name}(input: $input) {{ {MUTATIONS[name]} }} }}"
    )


# --- helpers -------------------------------------------------------------------------------


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str | None
) -> dict[str, Any]:
    """Run mutation `name` and return its payload (the request itself must succeed)."""
    body = await gql(client, mutation_document(name), {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def query(
    client: Client, document: str, token: str, tenant: str | None = None, **variables: Any
) -> Any:
    body = await gql(client, document, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return body["data"]


async def slugs(client: Client, token: str, tenant: str | None = None) -> set[str]:
    data = await query(client, ORGANIZATIONS, token, tenant)
    connection = data["organizations"]
    found = {edge["node"]["slug"] for edge in connection["edges"]}
    assert connection["totalCount"] == len(found)  # the count leaks nothing the list hides
    return found


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def uuid_of(gid: str) -> uuid.UUID:
    return uuid.UUID(base64.b64decode(gid).decode().partition(":")[2])


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


@dataclass(frozen=True)
class Targets:
    """Global ids a mutation can aim at: an organization, a membership in it, a grant on it."""

    organization: str
    membership: str
    grant: str


def random_targets() -> Targets:
    return Targets(random_gid("Organization"), random_gid("Membership"), random_gid("AuditorGrant"))


Input = Callable[[Targets], dict[str, Any]]
TARGETED: dict[str, Input] = {
    "updateOrganization": lambda t: {"id": t.organization, "name": "Renamed"},
    "inviteMember": lambda t: {
        "organizationId": t.organization,
        "email": "new@example.test",
        "role": "OWNER",
        "name": "New",
    },
    "changeMemberRole": lambda t: {"membershipId": t.membership, "role": "VIEWER"},
    "removeMember": lambda t: {"membershipId": t.membership},
    "grantAuditorAccess": lambda t: {
        "organizationId": t.organization,
        "certificationBodySlug": "body-org",
        "validUntil": in_days(7),
    },
    "revokeAuditorAccess": lambda t: {"grantId": t.grant},
}
ALL_MUTATIONS: dict[str, Input] = {
    **TARGETED,
    "createOrganization": lambda _t: {"name": "Gamma", "slug": "gamma-org", "timezone": "UTC"},
}


@pytest.fixture
async def b_grant(owner_engine: AsyncEngine, world: World) -> AuditorGrant:
    """B shares with the certification body too, so B has a grant id to aim at."""
    now = datetime.now(UTC)
    grant = AuditorGrant(
        id=uuid.uuid4(),
        tenant_id=world.orgs["b"].id,
        certification_body_id=world.orgs["body"].id,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        db.add(grant)
        await db.commit()
    return grant


def targets_in_b(world: World, b_grant: AuditorGrant) -> Targets:
    return Targets(
        world.org_gid("b"),
        world.membership_gid("b_owner", "b"),
        global_id("AuditorGrant", b_grant.id),
    )


def targets_in_a(world: World) -> Targets:
    assert world.grant is not None
    return Targets(
        world.org_gid("a"),
        world.membership_gid("a_admin", "a"),
        global_id("AuditorGrant", world.grant.id),
    )


# --- a principal of A cannot reach B -----------------------------------------------------


def node_ids(world: World, b_grant: AuditorGrant) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Per node type: (an id a_owner may read in A, the matching id in B)."""
    assert world.grant is not None
    return {
        "Organization": (world.orgs["a"].id, world.orgs["b"].id),
        "Membership": (
            world.memberships[("a_admin", "a")].id,
            world.memberships[("b_owner", "b")].id,
        ),
        "User": (world.users["a_admin"].id, world.users["b_owner"].id),
        "AuditorGrant": (world.grant.id, b_grant.id),
    }


@pytest.mark.parametrize("type_name", ["Organization", "Membership", "User", "AuditorGrant"])
async def test_node_lookup_of_another_tenants_id_is_null_like_a_random_id(
    client: Client, world: World, b_grant: AuditorGrant, type_name: str
) -> None:
    token = await login(client, "a_owner")
    tenant = world.org_gid("a")
    ours, theirs = (global_id(type_name, i) for i in node_ids(world, b_grant)[type_name])
    own = await gql(client, NODE, {"id": ours}, token=token, tenant=tenant)
    foreign = await gql(client, NODE, {"id": theirs}, token=token, tenant=tenant)
    missing = await gql(client, NODE, {"id": random_gid(type_name)}, token=token, tenant=tenant)
    assert own == {"data": {"node": {"__typename": type_name, "id": ours}}}
    assert foreign == missing == {"data": {"node": None}}


async def test_owner_of_a_reads_lists_and_knows_only_a(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    ours = await query(client, ORGANIZATION, token, slug="a-org")
    theirs = await query(client, ORGANIZATION, token, slug="b-org")
    nothing = await query(client, ORGANIZATION, token, slug="no-such-org")
    me = (await query(client, ME, token))["me"]
    assert ours["organization"]["viewerRole"] == "OWNER"
    assert ours["organization"]["members"]["totalCount"] == 3
    assert theirs == nothing == {"organization": None}
    assert await slugs(client, token) == {"a-org"}
    assert [m["organization"]["slug"] for m in me["memberships"]] == ["a-org"]
    assert me["organizations"] == [
        {"organization": {"slug": "a-org"}, "role": "OWNER", "canWrite": True}
    ]


async def test_naming_another_tenant_in_the_header_is_a_404_like_a_random_id(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    b = world.orgs["b"].id
    by_uuid = await gql(client, ME, token=token, tenant=str(b), expect_status=404)
    by_gid = await gql(client, ME, token=token, tenant=world.org_gid("b"), expect_status=404)
    random = await gql(client, ME, token=token, tenant=str(uuid.uuid4()), expect_status=404)
    random_by_gid = await gql(
        client, ME, token=token, tenant=random_gid("Organization"), expect_status=404
    )
    assert by_uuid == by_gid == random == random_by_gid
    assert "Organization not found." in str(by_uuid)


@pytest.mark.parametrize("name", list(TARGETED))
async def test_mutations_on_another_tenants_ids_are_not_found_like_random_ids(
    client: Client, owner_engine: AsyncEngine, world: World, b_grant: AuditorGrant, name: str
) -> None:
    token = await login(client, "a_owner")
    before = await snapshot(owner_engine)
    make_input = TARGETED[name]
    foreign = await mutate(
        client,
        name,
        make_input(targets_in_b(world, b_grant)),
        token=token,
        tenant=world.org_gid("a"),
    )
    missing = await mutate(
        client, name, make_input(random_targets()), token=token, tenant=world.org_gid("a")
    )
    assert codes(foreign) == ["NOT_FOUND"]
    assert foreign == missing
    assert await snapshot(owner_engine) == before


async def test_a_client_owner_cannot_create_organizations_here_or_in_b(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "a_owner")
    before = await snapshot(owner_engine)
    make_input = ALL_MUTATIONS["createOrganization"]
    in_a = await mutate(
        client,
        "createOrganization",
        make_input(random_targets()),
        token=token,
        tenant=world.org_gid("a"),
    )
    in_b = await gql(
        client,
        mutation_document("createOrganization"),
        {"input": make_input(random_targets())},
        token=token,
        tenant=world.org_gid("b"),
        expect_status=404,
    )
    assert codes(in_a) == ["FORBIDDEN"]
    assert in_a["organization"] is None
    assert "Organization not found." in str(in_b)
    assert await snapshot(owner_engine) == before


# --- consultants --------------------------------------------------------------------------


async def test_consultant_reaches_exactly_its_active_clients(client: Client, world: World) -> None:
    token = await login(client, "consultant")
    assert await slugs(client, token) == {"a-org", "consultancy-org"}
    client_a = await query(client, ORGANIZATION, token, world.org_gid("a"), slug="a-org")
    b = await query(client, ORGANIZATION, token, slug="b-org")
    assert client_a["organization"]["viewerRole"] == "CONSULTANT"
    assert b == {"organization": None}
    await gql(client, ME, token=token, tenant=world.org_gid("b"), expect_status=404)
    renamed = await mutate(
        client,
        "updateOrganization",
        {"id": world.org_gid("a"), "name": "Alpha Renamed"},
        token=token,
        tenant=world.org_gid("a"),
    )
    assert renamed["errors"] == []
    assert renamed["organization"]["name"] == "Alpha Renamed"


async def test_ended_engagement_removes_access_on_the_next_request(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "consultant")
    await gql(client, ME, token=token, tenant=world.org_gid("a"))
    assert world.engagement is not None
    await owner_execute(
        owner_engine,
        "UPDATE consultancy_engagements SET ended_at = now() - interval '1 minute' WHERE id = :id",
        id=world.engagement.id,
    )
    await gql(client, ME, token=token, tenant=world.org_gid("a"), expect_status=404)
    assert await slugs(client, token) == {"consultancy-org"}
    assert await query(client, ORGANIZATION, token, slug="a-org") == {"organization": None}


async def test_consultant_creates_a_client_then_acts_in_it(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "consultant")
    created = await mutate(
        client,
        "createOrganization",
        {"name": "Gamma Works", "slug": "Gamma", "timezone": "Europe/Berlin"},
        token=token,
        tenant=world.org_gid("consultancy"),
    )
    assert created["errors"] == []
    organization = created["organization"]
    assert (organization["slug"], organization["kind"]) == ("gamma", "CLIENT")
    updated = await mutate(
        client,
        "updateOrganization",
        {"id": organization["id"], "name": "Gamma Works GmbH"},
        token=token,
        tenant=organization["id"],
    )
    assert updated["errors"] == []
    assert updated["organization"]["name"] == "Gamma Works GmbH"
    assert await slugs(client, token) == {"a-org", "consultancy-org", "gamma"}
    stored = await owner_scalar(
        owner_engine,
        "SELECT (o.name, o.timezone, e.consultancy_id) FROM organizations o"
        " JOIN consultancy_engagements e ON e.tenant_id = o.id WHERE o.slug = 'gamma'",
    )
    assert tuple(stored) == ("Gamma Works GmbH", "Europe/Berlin", world.orgs["consultancy"].id)
    other = await login(client, "a_owner")
    assert await query(client, ORGANIZATION, other, slug="gamma") == {"organization": None}


ENGAGEMENTS = """
query Engagements($slug: String!) {
  organization(slug: $slug) {
    engagements { edges { node { id isActive client { slug } consultancy { slug } } } }
  }
}
"""


async def _invite(
    client: Client, token: str, organization: str, email: str, role: str
) -> dict[str, Any]:
    return await mutate(
        client,
        "inviteMember",
        {"organizationId": organization, "email": email, "role": role},
        token=token,
        tenant=organization,
    )


async def test_the_consultancy_appoints_a_new_clients_first_owner_once(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    consultant = await login(client, "consultant")
    created = await mutate(
        client,
        "createOrganization",
        {"name": "Gamma Works", "slug": "gamma", "timezone": "UTC"},
        token=consultant,
        tenant=world.org_gid("consultancy"),
    )
    gamma = created["organization"]["id"]
    first = await _invite(client, consultant, gamma, "b_owner@example.test", "OWNER")
    assert first["errors"] == []
    # While that invitation is pending, and once it is accepted, owners appoint owners.
    before = await snapshot(owner_engine)
    second = await _invite(client, consultant, gamma, "a_admin@example.test", "OWNER")
    assert codes(second) == ["FORBIDDEN"]
    assert await snapshot(owner_engine) == before
    new_owner = await login(client, "b_owner")
    joined = await gql(client, JOIN, {"token": first["invitationToken"]}, token=new_owner)
    assert joined["data"]["joinOrganization"]["membership"]["role"] == "OWNER"
    again = await _invite(client, consultant, gamma, "a_admin@example.test", "OWNER")
    assert codes(again) == ["FORBIDDEN"]
    by_owner = await _invite(client, new_owner, gamma, "a_admin@example.test", "OWNER")
    assert by_owner["errors"] == []


async def test_a_consultant_cannot_make_its_own_people_members_of_a_client(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    consultant = await login(client, "consultant")
    before = await snapshot(owner_engine)
    for email in ("consultant@example.test", "CONSULTANT@example.test"):
        payload = await _invite(client, consultant, world.org_gid("a"), email, "ADMIN")
        assert codes(payload) == ["FORBIDDEN"]
    assert await snapshot(owner_engine) == before
    # Anyone else, the consultant may invite.
    other = await _invite(client, consultant, world.org_gid("a"), "b_owner@example.test", "ADMIN")
    assert other["errors"] == []


async def test_the_clients_owner_ends_an_engagement(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    owner = await login(client, "a_owner")
    listed = await query(client, ENGAGEMENTS, owner, slug="a-org")
    (edge,) = listed["organization"]["engagements"]["edges"]
    # The client's people do not read the consultancy itself, only that it manages them.
    assert edge["node"] | {"id": None} == {
        "id": None,
        "isActive": True,
        "client": {"slug": "a-org"},
        "consultancy": None,
    }
    end = {"engagementId": edge["node"]["id"]}
    before = await snapshot(owner_engine)
    for user in ("consultant", "a_viewer"):
        token = await login(client, user)
        refused = await mutate(client, "endEngagement", end, token=token, tenant=world.org_gid("a"))
        assert codes(refused) == ["FORBIDDEN"], user
    b_owner = await login(client, "b_owner")
    stranger = await mutate(client, "endEngagement", end, token=b_owner, tenant=world.org_gid("b"))
    assert codes(stranger) == ["NOT_FOUND"]
    assert await snapshot(owner_engine) == before

    ended = await mutate(client, "endEngagement", end, token=owner, tenant=world.org_gid("a"))
    assert ended["errors"] == []
    assert ended["engagement"]["isActive"] is False
    consultant = await login(client, "consultant")
    await gql(client, ME, token=consultant, tenant=world.org_gid("a"), expect_status=404)


# --- auditors and viewers -----------------------------------------------------------------


async def test_auditor_reads_its_client_and_nothing_else(client: Client, world: World) -> None:
    token = await login(client, "auditor")
    a = (await query(client, ORGANIZATION, token, world.org_gid("a"), slug="a-org"))["organization"]
    emails = {edge["node"]["user"]["email"] for edge in a["members"]["edges"]}
    acting = (await query(client, ME, token, world.org_gid("a")))["me"]["organizations"]
    assert a["viewerRole"] == "AUDITOR"
    assert emails == {"a_owner@example.test", "a_admin@example.test", "a_viewer@example.test"}
    assert {"organization": {"slug": "a-org"}, "role": "AUDITOR", "canWrite": False} in acting
    assert await slugs(client, token) == {"a-org", "body-org"}
    for hidden in ("b", "consultancy"):
        found = await query(client, ORGANIZATION, token, slug=f"{hidden}-org")
        assert found == {"organization": None}
        await gql(client, ME, token=token, tenant=world.org_gid(hidden), expect_status=404)


@pytest.mark.parametrize("name", list(ALL_MUTATIONS))
async def test_read_only_principals_cannot_mutate(
    client: Client, owner_engine: AsyncEngine, world: World, name: str
) -> None:
    before = await snapshot(owner_engine)
    for user in ("auditor", "a_viewer"):
        token = await login(client, user)
        payload = await mutate(
            client,
            name,
            ALL_MUTATIONS[name](targets_in_a(world)),
            token=token,
            tenant=world.org_gid("a"),
        )
        assert codes(payload) == ["FORBIDDEN"], (user, name, payload)
        assert {value for key, value in payload.items() if key != "errors"} == {None}
    assert await snapshot(owner_engine) == before


@pytest.mark.parametrize("how", ["expired", "revoked"])
async def test_ended_grant_removes_auditor_access_on_the_next_request(
    client: Client, owner_engine: AsyncEngine, world: World, how: str
) -> None:
    assert world.grant is not None
    token = await login(client, "auditor")
    await gql(client, ME, token=token, tenant=world.org_gid("a"))
    if how == "expired":
        await owner_execute(
            owner_engine,
            "UPDATE auditor_grants SET valid_until = now() - interval '1 minute' WHERE id = :id",
            id=world.grant.id,
        )
    else:
        owner = await login(client, "a_owner")
        revoked = await mutate(
            client,
            "revokeAuditorAccess",
            {"grantId": global_id("AuditorGrant", world.grant.id)},
            token=owner,
            tenant=world.org_gid("a"),
        )
        assert revoked["errors"] == []
        assert revoked["grant"]["revokedAt"] is not None
        assert revoked["grant"]["isActive"] is False
    await gql(client, ME, token=token, tenant=world.org_gid("a"), expect_status=404)
    assert await slugs(client, token) == {"body-org"}
    assert await query(client, ORGANIZATION, token, slug="a-org") == {"organization": None}


# --- members and owners -------------------------------------------------------------------


async def _role_of(owner_engine: AsyncEngine, membership_id: uuid.UUID) -> str | None:
    role: str | None = await owner_scalar(
        owner_engine, "SELECT role::text FROM memberships WHERE id = :id", id=membership_id
    )
    return role


JOIN = """
mutation Join($token: String!) {
  joinOrganization(input: {token: $token}) { membership { id role } errors { code } }
}
"""


async def test_owner_invites_changes_and_removes_a_member(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "a_owner")
    a = world.org_gid("a")
    invited = await mutate(
        client,
        "inviteMember",
        {"organizationId": a, "email": "B_Owner@Example.test", "role": "CONTRIBUTOR"},
        token=token,
        tenant=a,
    )
    assert invited["errors"] == []
    assert invited["invitation"]["email"] == "b_owner@example.test"
    joined = await gql(
        client, JOIN, {"token": invited["invitationToken"]}, token=await login(client, "b_owner")
    )
    gid = joined["data"]["joinOrganization"]["membership"]["id"]
    membership_id = uuid_of(gid)
    assert await _role_of(owner_engine, membership_id) == "contributor"

    changed = await mutate(
        client, "changeMemberRole", {"membershipId": gid, "role": "MANAGER"}, token=token, tenant=a
    )
    assert changed["errors"] == []
    assert changed["membership"]["role"] == "MANAGER"
    assert await _role_of(owner_engine, membership_id) == "manager"

    removed = await mutate(client, "removeMember", {"membershipId": gid}, token=token, tenant=a)
    assert removed == {"removedMembershipId": gid, "errors": []}
    assert await _role_of(owner_engine, membership_id) is None


@pytest.mark.parametrize("name", ["changeMemberRole", "removeMember"])
async def test_the_last_owner_cannot_be_demoted_or_removed(
    client: Client, owner_engine: AsyncEngine, world: World, name: str
) -> None:
    token = await login(client, "a_owner")
    before = await snapshot(owner_engine)
    own = world.membership_gid("a_owner", "a")
    make_input = {"membershipId": own} | ({"role": "ADMIN"} if name == "changeMemberRole" else {})
    payload = await mutate(client, name, make_input, token=token, tenant=world.org_gid("a"))
    assert codes(payload) == ["LAST_OWNER"]
    assert await snapshot(owner_engine) == before


ADMIN_OWNERSHIP_ATTEMPTS: dict[str, Callable[[World], tuple[str, dict[str, Any]]]] = {
    "invite owner": lambda w: (
        "inviteMember",
        {"organizationId": w.org_gid("a"), "email": "b_owner@example.test", "role": "OWNER"},
    ),
    "promote to owner": lambda w: (
        "changeMemberRole",
        {"membershipId": w.membership_gid("a_viewer", "a"), "role": "OWNER"},
    ),
    "demote owner": lambda w: (
        "changeMemberRole",
        {"membershipId": w.membership_gid("a_owner", "a"), "role": "VIEWER"},
    ),
    "remove owner": lambda w: ("removeMember", {"membershipId": w.membership_gid("a_owner", "a")}),
}


@pytest.mark.parametrize("attempt", list(ADMIN_OWNERSHIP_ATTEMPTS))
async def test_only_an_owner_makes_or_unmakes_owners(
    client: Client, owner_engine: AsyncEngine, world: World, attempt: str
) -> None:
    token = await login(client, "a_admin")
    before = await snapshot(owner_engine)
    name, make_input = ADMIN_OWNERSHIP_ATTEMPTS[attempt](world)
    payload = await mutate(client, name, make_input, token=token, tenant=world.org_gid("a"))
    assert codes(payload) == ["FORBIDDEN"]
    assert await snapshot(owner_engine) == before


async def test_owner_hands_over_ownership_then_steps_down(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "a_owner")
    a = world.org_gid("a")
    promoted = await mutate(
        client,
        "changeMemberRole",
        {"membershipId": world.membership_gid("a_admin", "a"), "role": "OWNER"},
        token=token,
        tenant=a,
    )
    stepped_down = await mutate(
        client,
        "changeMemberRole",
        {"membershipId": world.membership_gid("a_owner", "a"), "role": "ADMIN"},
        token=token,
        tenant=a,
    )
    assert promoted["errors"] == stepped_down["errors"] == []
    assert await _role_of(owner_engine, world.memberships[("a_admin", "a")].id) == "owner"
    assert await _role_of(owner_engine, world.memberships[("a_owner", "a")].id) == "admin"


async def test_owner_grants_a_certification_body_which_then_sees_the_client(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    assert world.grant is not None
    await owner_execute(
        owner_engine,
        "UPDATE auditor_grants SET valid_until = now() - interval '1 minute' WHERE id = :id",
        id=world.grant.id,
    )
    auditor = await login(client, "auditor")
    await gql(client, ME, token=auditor, tenant=world.org_gid("a"), expect_status=404)
    owner = await login(client, "a_owner")
    granted = await mutate(
        client,
        "grantAuditorAccess",
        {
            "organizationId": world.org_gid("a"),
            "certificationBodySlug": " Body-Org ",
            "validUntil": in_days(7),
        },
        token=owner,
        tenant=world.org_gid("a"),
    )
    assert granted["errors"] == []
    assert granted["grant"]["isActive"] is True
    assert granted["grant"]["certificationBody"] == {"slug": "body-org"}
    assert await slugs(client, auditor) == {"a-org", "body-org"}
    seen = await query(client, ORGANIZATION, auditor, world.org_gid("a"), slug="a-org")
    grants = seen["organization"]["auditorGrants"]
    assert grants["totalCount"] == 2
    assert sorted(edge["node"]["isActive"] for edge in grants["edges"]) == [False, True]


# --- bad input ----------------------------------------------------------------------------

# case: (mutation, the input fields that make it bad, expected code, field at fault)
BAD_INPUTS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "create: bad slug": ("createOrganization", {"slug": "Not a slug!"}, "INVALID", "slug"),
    "create: unknown time zone": (
        "createOrganization",
        {"timezone": "Mars/Olympus"},
        "INVALID",
        "timezone",
    ),
    "create: duplicate slug": ("createOrganization", {"slug": "b-org"}, "CONFLICT", "slug"),
    "update: bad slug": ("updateOrganization", {"slug": "-bad-"}, "INVALID", "slug"),
    "update: unknown time zone": (
        "updateOrganization",
        {"timezone": "Europe/Atlantis"},
        "INVALID",
        "timezone",
    ),
    "update: duplicate slug": ("updateOrganization", {"slug": "b-org"}, "CONFLICT", "slug"),
    "update: id of another type": (
        "updateOrganization",
        {"id": random_gid("Membership")},
        "INVALID",
        "id",
    ),
    "invite: a member already": (
        "inviteMember",
        {"email": "A_Viewer@example.test"},
        "CONFLICT",
        "email",
    ),
    "invite: bad email": ("inviteMember", {"email": "not-an-email"}, "INVALID", "email"),
    "invite: blank name": ("inviteMember", {"name": "  "}, "INVALID", "name"),
    "change: derived role": ("changeMemberRole", {"role": "AUDITOR"}, "INVALID", "role"),
    "grant: ends before it starts": (
        "grantAuditorAccess",
        {"validFrom": in_days(10), "validUntil": in_days(1)},
        "INVALID",
        "validUntil",
    ),
    "grant: start without a UTC offset": (
        "grantAuditorAccess",
        {"validFrom": "2030-01-01T00:00:00"},
        "INVALID",
        "validFrom",
    ),
    "grant: not a certification body": (
        "grantAuditorAccess",
        {"certificationBodySlug": "b-org"},
        "NOT_FOUND",
        "certificationBodySlug",
    ),
}


def good_input(world: World, name: str) -> dict[str, Any]:
    """A valid input for `name` (a consultant creates clients; a_owner does the rest in A)."""
    inputs: dict[str, dict[str, Any]] = {
        "createOrganization": {"name": "Gamma", "slug": "gamma", "timezone": "UTC"},
        "updateOrganization": {"id": world.org_gid("a"), "name": "Renamed"},
        "inviteMember": {
            "organizationId": world.org_gid("a"),
            "email": "new@example.test",
            "role": "VIEWER",
            "name": "New",
        },
        "changeMemberRole": {
            "membershipId": world.membership_gid("a_viewer", "a"),
            "role": "MANAGER",
        },
        "grantAuditorAccess": {
            "organizationId": world.org_gid("a"),
            "certificationBodySlug": "body-org",
            "validUntil": in_days(7),
        },
    }
    return inputs[name]


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_is_a_user_error_on_its_field_and_changes_nothing(
    client: Client, owner_engine: AsyncEngine, world: World, case: str
) -> None:
    name, bad, code, field = BAD_INPUTS[case]
    user, acting = (
        ("consultant", "consultancy") if name == "createOrganization" else ("a_owner", "a")
    )
    token = await login(client, user)
    before = await snapshot(owner_engine)
    payload = await mutate(
        client, name, good_input(world, name) | bad, token=token, tenant=world.org_gid(acting)
    )
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, [field])]
    assert payload["errors"][0]["message"]
    assert await snapshot(owner_engine) == before


async def test_a_certification_body_cannot_grant_access_to_itself(
    client: Client, owner_engine: AsyncEngine, world: World
) -> None:
    token = await login(client, "auditor")  # an admin of the body
    before = await snapshot(owner_engine)
    body = world.org_gid("body")
    payload = await mutate(
        client,
        "grantAuditorAccess",
        good_input(world, "grantAuditorAccess") | {"organizationId": body},
        token=token,
        tenant=body,
    )
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("INVALID", ["certificationBodySlug"])
    ]
    assert await snapshot(owner_engine) == before
