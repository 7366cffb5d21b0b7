"""Single sign-on against a real OpenID Connect provider served over HTTP in the test process.

Every sign-in goes the whole way: startSsoLogin, the provider's /authorize (followed with
httpx to read the code from its redirect), completeSsoLogin, which redeems the code with the
PKCE verifier and checks the ID token. Nothing of the protocol is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.models import IdentityProvider
from tenants.models import Membership, Organization, OrganizationKind
from tests.api.helpers import count_statements
from tests.auth.helpers import LOGIN_ERRORS, REFRESH, data_of, error_codes, post
from tests.auth.oidc_provider import Faults, OidcProvider, Person, RunningProvider
from tests.support import Client, World, gql, login

CLIENT_ID = "certready-a"
SECRET = "s3cret-of-the-provider-7Hq2"  # the test provider's client secret
REDIRECT = "https://app.example/sso/callback"
NEWCOMER = Person(subject="subject-0001", email="newcomer@example.test", name="New Comer")

CONFIGURE = """
mutation Configure($input: ConfigureIdentityProviderInput!) {
  configureIdentityProvider(input: $input) {
    identityProvider { id issuer clientId allowedDomains defaultRole enabled
                       organization { slug } }
    errors { field code message }
  }
}
"""
DISABLE = """
mutation Disable($id: ID!) {
  disableIdentityProvider(input: {id: $id}) {
    identityProvider { id enabled } errors { field code message }
  }
}
"""
PROVIDERS = """
query Providers($organization: ID) {
  identityProviders(organization: $organization) {
    totalCount edges { node { id issuer clientId allowedDomains defaultRole enabled
                              organization { slug } } }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { ... on IdentityProvider { id clientId } } }"
START = """
mutation Start($organization: String!, $redirectUri: String!) {
  startSsoLogin(input: {organization: $organization, redirectUri: $redirectUri}) {
    authorizationUrl errors { field code message }
  }
}
"""
COMPLETE = """
mutation Complete($organization: String!, $state: String!, $code: String!) {
  completeSsoLogin(input: {organization: $organization, state: $state, code: $code}) {
    accessToken refreshToken user { email } errors { field code message }
  }
}
"""
ME = "query { me { user { email } } }"


@pytest.fixture(scope="session")
def running_provider() -> Iterator[OidcProvider]:
    with RunningProvider(OidcProvider()) as provider:
        yield provider


@pytest.fixture
def oidc(running_provider: OidcProvider) -> Iterator[OidcProvider]:
    running_provider.reset()
    running_provider.clients[CLIENT_ID] = SECRET
    running_provider.person = NEWCOMER
    yield running_provider
    running_provider.reset()


def provider_input(oidc: OidcProvider, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "issuer": oidc.issuer,
        "clientId": CLIENT_ID,
        "clientSecret": SECRET,
        "allowedDomains": ["example.test"],
        "defaultRole": "CONTRIBUTOR",
    }
    values.update(overrides)
    return values


async def configure(
    client: Client, world: World, oidc: OidcProvider, user: str = "a_owner", org: str = "a"
) -> dict[str, Any]:
    token = await login(client, user)
    body = await gql(
        client, CONFIGURE, {"input": provider_input(oidc)}, token=token, tenant=world.org_gid(org)
    )
    payload: dict[str, Any] = body["data"]["configureIdentityProvider"]
    assert payload["errors"] == [], payload
    provider: dict[str, Any] = payload["identityProvider"]
    return provider


async def start(client: Client, slug: str = "a-org", redirect: str = REDIRECT) -> dict[str, Any]:
    body = await gql(client, START, {"organization": slug, "redirectUri": redirect})
    payload: dict[str, Any] = body["data"]["startSsoLogin"]
    return payload


async def authorize(url: str) -> dict[str, str]:
    """Follow the authorization URL as a browser would, up to the redirect back to the app."""
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def complete(client: Client, answer: dict[str, str], slug: str = "a-org") -> dict[str, Any]:
    body = await gql(
        client, COMPLETE, {"organization": slug, "state": answer["state"], "code": answer["code"]}
    )
    payload: dict[str, Any] = body["data"]["completeSsoLogin"]
    return payload


async def sign_in(client: Client, slug: str = "a-org") -> dict[str, Any]:
    started = await start(client, slug)
    assert started["errors"] == [], started
    return await complete(client, await authorize(started["authorizationUrl"]), slug)


async def accounts_of(owner_engine: AsyncEngine, email: str) -> list[Any]:
    async with owner_engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT id, password_hash, identity_issuer, identity_subject FROM users"
                " WHERE lower(email) = :email"
            ),
            {"email": email},
        )
        return list(result.all())


async def role_of(owner_engine: AsyncEngine, user_id: uuid.UUID, tenant_id: uuid.UUID) -> Any:
    async with owner_engine.connect() as connection:
        return await connection.scalar(
            select(Membership.role).where(
                Membership.user_id == user_id, Membership.tenant_id == tenant_id
            )
        )


# --- signing in --------------------------------------------------------------------------


async def test_sign_in_redeems_the_code_and_issues_tokens_that_work(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    await configure(client, world, oidc)
    started = await start(client)
    query = parse_qs(urlsplit(started["authorizationUrl"]).query)
    assert started["authorizationUrl"].startswith(f"{oidc.issuer}/authorize?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [REDIRECT]
    assert query["nonce"]
    assert query["state"]
    assert query["code_challenge"]
    assert "openid" in query["scope"][0].split()

    payload = await complete(client, await authorize(started["authorizationUrl"]))

    assert payload["errors"] == []
    assert payload["user"] == {"email": NEWCOMER.email}
    me = await gql(client, ME, token=payload["accessToken"])
    assert me["data"]["me"]["user"]["email"] == NEWCOMER.email
    refreshed = data_of(await post(client, REFRESH, {"token": payload["refreshToken"]}), "refresh")
    assert refreshed["errors"] == []
    assert refreshed["accessToken"]


async def test_a_new_address_gets_an_account_without_password_and_the_default_role(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    await configure(client, world, oidc)
    assert (await sign_in(client))["errors"] == []

    [account] = await accounts_of(owner_engine, NEWCOMER.email)
    assert account.identity_issuer == oidc.issuer
    assert account.identity_subject == NEWCOMER.subject
    assert await role_of(owner_engine, account.id, world.orgs["a"].id) == "contributor"
    # No password opens it: the provider is the only way in.
    by_password = await post(client, LOGIN_ERRORS, {"email": NEWCOMER.email, "password": "!"})
    assert error_codes(by_password.json()["data"]["login"]) == ["INVALID_CREDENTIALS"]


async def test_signing_in_again_reaches_the_same_account(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    await configure(client, world, oidc)
    first = await sign_in(client)
    second = await sign_in(client)
    assert first["errors"] == second["errors"] == []
    assert len(await accounts_of(owner_engine, NEWCOMER.email)) == 1


async def test_the_linked_identity_joins_another_organization_of_the_same_issuer(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    """Linking is by issuer and subject: the same person signing in to B is the same account."""
    await configure(client, world, oidc)
    await configure(client, world, oidc, user="b_owner", org="b")
    assert (await sign_in(client))["errors"] == []
    assert (await sign_in(client, "b-org"))["errors"] == []
    [account] = await accounts_of(owner_engine, NEWCOMER.email)
    assert await role_of(owner_engine, account.id, world.orgs["b"].id) == "contributor"


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        (Faults(audience="someone-else"), "aud"),
        (Faults(expires_in=-600), "expired"),
        (Faults(foreign_key=True), "signature"),
        (Faults(nonce="not-the-nonce"), "nonce"),
        (Faults(other_audience=True), "another party"),
        (Faults(secret_signed=True), "algorithm"),
    ],
    ids=[
        "wrong-audience",
        "expired",
        "bad-signature",
        "nonce-mismatch",
        "shared-audience",
        "hs256-with-secret",
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused(
    client: Client,
    world: World,
    oidc: OidcProvider,
    *,
    owner_engine: AsyncEngine,
    faults: Faults,
    reason: str,
) -> None:
    await configure(client, world, oidc)
    oidc.faults = faults
    payload = await sign_in(client)
    assert payload["accessToken"] is None
    assert error_codes(payload) == ["INVALID_CREDENTIALS"]
    assert "verification" in payload["errors"][0]["message"]
    assert reason in payload["errors"][0]["message"].lower()
    assert await accounts_of(owner_engine, NEWCOMER.email) == []


async def test_a_state_works_once(client: Client, world: World, oidc: OidcProvider) -> None:
    await configure(client, world, oidc)
    started = await start(client)
    answer = await authorize(started["authorizationUrl"])
    assert (await complete(client, answer))["errors"] == []

    replayed = await complete(client, answer)
    assert replayed["accessToken"] is None
    assert [(e["code"], e["field"]) for e in replayed["errors"]] == [
        ("INVALID_CREDENTIALS", ["state"])
    ]


async def test_a_sign_in_completes_only_in_the_organization_it_started_in(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    await configure(client, world, oidc)
    await configure(client, world, oidc, user="b_owner", org="b")
    answer = await authorize((await start(client, "a-org"))["authorizationUrl"])

    elsewhere = await complete(client, answer, "b-org")
    assert [(e["code"], e["field"]) for e in elsewhere["errors"]] == [
        ("INVALID_CREDENTIALS", ["state"])
    ]
    assert (await complete(client, answer, "a-org"))["errors"] == []
    [account] = await accounts_of(owner_engine, NEWCOMER.email)
    assert await role_of(owner_engine, account.id, world.orgs["b"].id) is None


async def test_configuring_again_drops_sign_ins_started_before(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    await configure(client, world, oidc)
    answer = await authorize((await start(client))["authorizationUrl"])
    await configure(client, world, oidc, user="a_admin")
    assert (await complete(client, answer))["errors"][0]["field"] == ["state"]


async def test_a_sign_in_expires(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    await configure(client, world, oidc)
    answer = await authorize((await start(client))["authorizationUrl"])
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE sso_logins SET expires_at = now() - interval '1 second'")
        )
    late = await complete(client, answer)
    assert [(e["code"], e["field"]) for e in late["errors"]] == [("INVALID_CREDENTIALS", ["state"])]
    assert late["accessToken"] is None


async def test_a_refused_code_uses_the_state_up_too(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    await configure(client, world, oidc)
    answer = await authorize((await start(client))["authorizationUrl"])
    wrong_code = await complete(client, {**answer, "code": "made-up"})
    assert error_codes(wrong_code) == ["INVALID_CREDENTIALS"]
    assert "refused the code" in wrong_code["errors"][0]["message"]
    retried = await complete(client, answer)
    assert retried["errors"][0]["field"] == ["state"]


@pytest.mark.parametrize(
    "person",
    [
        Person(subject="subject-0002", email="someone@elsewhere.test"),
        Person(subject="subject-0003", email="unverified@example.test", email_verified=False),
    ],
    ids=["domain-not-allowed", "email-not-verified"],
)
async def test_an_address_the_organization_does_not_admit_is_refused(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine, person: Person
) -> None:
    await configure(client, world, oidc)
    oidc.person = person
    payload = await sign_in(client)
    assert error_codes(payload) == ["FORBIDDEN"]
    assert payload["accessToken"] is None
    assert await accounts_of(owner_engine, person.email) == []


@pytest.mark.parametrize("user", ["a_viewer", "b_owner"])
async def test_an_existing_password_account_is_not_taken_over(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine, user: str
) -> None:
    """Neither a member of the organization nor someone of another organization."""
    await configure(client, world, oidc)
    oidc.person = Person(subject="attacker-chosen", email=f"{user}@example.test")
    payload = await sign_in(client)

    assert error_codes(payload) == ["CONFLICT"]
    assert "password" in payload["errors"][0]["message"]
    [account] = await accounts_of(owner_engine, f"{user}@example.test")
    assert account.identity_issuer is None
    assert account.identity_subject is None
    assert await role_of(owner_engine, account.id, world.orgs["a"].id) in {None, "viewer"}
    assert await login(client, user)  # the password still opens it


async def test_an_invitation_cannot_give_a_signed_on_account_a_password(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    await configure(client, world, oidc, user="b_owner", org="b")
    assert (await sign_in(client, "b-org"))["errors"] == []
    owner = await login(client, "a_owner")
    invited = await gql(
        client,
        """mutation Invite($org: ID!, $email: String!) { inviteMember(input:
           {organizationId: $org, email: $email, role: VIEWER}) { invitationToken } }""",
        {"org": world.org_gid("a"), "email": NEWCOMER.email},
        token=owner,
        tenant=world.org_gid("a"),
    )
    token = invited["data"]["inviteMember"]["invitationToken"]
    accepted = await gql(
        client,
        """mutation Accept($token: String!) { acceptInvitation(input: {token: $token,
           password: "a brand new password"}) { accessToken errors { code message } } }""",
        {"token": token},
    )
    payload = accepted["data"]["acceptInvitation"]
    assert payload["accessToken"] is None
    assert error_codes(payload) == ["INVALID_INVITATION"]


async def test_a_disabled_provider_stops_starting_and_completing(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    provider = await configure(client, world, oidc)
    pending = await start(client)
    owner = await login(client, "a_owner")
    disabled = await gql(
        client, DISABLE, {"id": provider["id"]}, token=owner, tenant=world.org_gid("a")
    )
    assert disabled["data"]["disableIdentityProvider"]["identityProvider"]["enabled"] is False

    completed = await complete(client, await authorize(pending["authorizationUrl"]))
    assert error_codes(completed) == ["NOT_FOUND"]
    assert completed["accessToken"] is None
    restarted = await start(client)
    assert error_codes(restarted) == ["NOT_FOUND"]
    assert restarted["authorizationUrl"] is None


async def test_unknown_organizations_answer_like_those_without_single_sign_on(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    unknown = await start(client, "no-such-org")
    without = await start(client, "b-org")
    assert unknown == without
    assert error_codes(unknown) == ["NOT_FOUND"]


async def test_the_redirect_must_go_back_to_an_allowed_origin(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    await configure(client, world, oidc)
    for redirect in ("https://evil.example/sso", "javascript:alert(1)", "not a url", "http://["):
        payload = await start(client, redirect=redirect)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID", ["redirectUri"])
        ]


# --- configuring ---------------------------------------------------------------------------


async def test_owners_and_admins_configure_and_list_their_provider(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    provider = await configure(client, world, oidc, user="a_admin")
    assert provider == {
        "id": provider["id"],
        "issuer": oidc.issuer,
        "clientId": CLIENT_ID,
        "allowedDomains": ["example.test"],
        "defaultRole": "CONTRIBUTOR",
        "enabled": True,
        "organization": {"slug": "a-org"},
    }
    owner = await login(client, "a_owner")
    # Configuring again replaces it and keeps the secret when none is given.
    again = await gql(
        client,
        CONFIGURE,
        {"input": provider_input(oidc, clientSecret=None, defaultRole="VIEWER")},
        token=owner,
        tenant=world.org_gid("a"),
    )
    assert again["data"]["configureIdentityProvider"]["identityProvider"]["id"] == provider["id"]
    listed = await gql(client, PROVIDERS, token=owner)
    assert listed["data"]["identityProviders"]["totalCount"] == 1
    assert listed["data"]["identityProviders"]["edges"][0]["node"]["defaultRole"] == "VIEWER"
    assert (await sign_in(client))["errors"] == []  # the kept secret still redeems codes


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"issuer": "http://idp.example"}, "issuer"),
        ({"issuer": "http://127.0.0.1:1"}, "issuer"),  # nothing answers there
        ({"issuer": "https://[::1"}, "issuer"),
        ({"defaultRole": "OWNER"}, "defaultRole"),
        ({"allowedDomains": []}, "allowedDomains"),
        ({"allowedDomains": ["not a domain"]}, "allowedDomains"),
        ({"clientId": " "}, "clientId"),
        ({"clientSecret": None}, "clientSecret"),
    ],
)
async def test_bad_configurations_are_refused_and_nothing_is_stored(
    client: Client,
    world: World,
    oidc: OidcProvider,
    *,
    owner_engine: AsyncEngine,
    overrides: dict[str, Any],
    field: str,
) -> None:
    owner = await login(client, "a_owner")
    body = await gql(
        client,
        CONFIGURE,
        {"input": provider_input(oidc, **overrides)},
        token=owner,
        tenant=world.org_gid("a"),
    )
    payload = body["data"]["configureIdentityProvider"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", [field])]
    async with owner_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM identity_providers")) == 0


@pytest.mark.parametrize("user", ["a_viewer", "auditor", "consultant"])
async def test_readers_auditors_and_consultants_cannot_see_or_change_the_provider(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine, user: str
) -> None:
    provider = await configure(client, world, oidc)
    token = await login(client, user)
    tenant = world.org_gid("a")

    configured = await gql(
        client,
        CONFIGURE,
        {"input": provider_input(oidc, clientId="theirs")},
        token=token,
        tenant=tenant,
    )
    assert error_codes(configured["data"]["configureIdentityProvider"]) == ["FORBIDDEN"]
    disabled = await gql(client, DISABLE, {"id": provider["id"]}, token=token, tenant=tenant)
    assert error_codes(disabled["data"]["disableIdentityProvider"]) == ["FORBIDDEN"]
    listed = await gql(client, PROVIDERS, token=token)
    assert listed["data"]["identityProviders"]["totalCount"] == 0
    node = await gql(client, NODE, {"id": provider["id"]}, token=token)
    assert node["data"]["node"] is None
    async with owner_engine.connect() as connection:
        row = (await connection.execute(select(IdentityProvider))).one()
    assert (row.client_id, row.enabled) == (CLIENT_ID, True)


async def test_another_organization_cannot_read_or_change_the_provider(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    provider = await configure(client, world, oidc)
    b_owner = await login(client, "b_owner")
    tenant = world.org_gid("b")

    assert (await gql(client, PROVIDERS, token=b_owner))["data"]["identityProviders"][
        "totalCount"
    ] == 0
    filtered = await gql(client, PROVIDERS, {"organization": world.org_gid("a")}, token=b_owner)
    assert filtered["data"]["identityProviders"]["totalCount"] == 0
    assert (await gql(client, NODE, {"id": provider["id"]}, token=b_owner))["data"]["node"] is None
    disabled = await gql(client, DISABLE, {"id": provider["id"]}, token=b_owner, tenant=tenant)
    assert error_codes(disabled["data"]["disableIdentityProvider"]) == ["NOT_FOUND"]
    # B's own configuration is B's row; A's stays as it was.
    await configure(client, world, oidc, user="b_owner", org="b")
    async with owner_engine.connect() as connection:
        rows = (
            await connection.execute(select(IdentityProvider.tenant_id, IdentityProvider.enabled))
        ).all()
    assert sorted((str(t), e) for t, e in rows) == sorted(
        [(str(world.orgs["a"].id), True), (str(world.orgs["b"].id), True)]
    )


async def test_the_client_secret_appears_in_no_answer(
    client: Client, world: World, oidc: OidcProvider
) -> None:
    answers: list[str] = []
    owner = await login(client, "a_owner")
    tenant = world.org_gid("a")

    async def call(query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {owner}", "X-Tenant-ID": tenant}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        answers.append(response.text)
        return response.json()

    configured = await call(CONFIGURE, {"input": provider_input(oidc)})
    provider_id = configured["data"]["configureIdentityProvider"]["identityProvider"]["id"]
    await call(PROVIDERS)
    await call(NODE, {"id": provider_id})
    started = await call(START, {"organization": "a-org", "redirectUri": REDIRECT})
    url = started["data"]["startSsoLogin"]["authorizationUrl"]
    answer = await authorize(url)
    await call(COMPLETE, {"organization": "a-org", **answer})
    await call(DISABLE, {"id": provider_id})
    await call(CONFIGURE, {"input": provider_input(oidc, issuer="https://bad")})

    assert len(answers) == 7
    assert all(SECRET not in text for text in answers)
    assert SECRET not in url


# --- statement counts ----------------------------------------------------------------------


async def _more_organizations(owner_engine: AsyncEngine, world: World, count: int) -> None:
    """`count` more clients, each with a provider, that a_owner owns."""
    async with AsyncSession(owner_engine) as db:
        for number in range(count):
            organization = Organization(
                id=uuid.uuid4(),
                kind=OrganizationKind.CLIENT.value,
                name=f"Extra {number}",
                slug=f"extra-{uuid.uuid4().hex[:8]}",
            )
            db.add(organization)
            await db.flush()
            db.add(
                Membership(
                    tenant_id=organization.id, user_id=world.users["a_owner"].id, role="owner"
                )
            )
            db.add(
                IdentityProvider(
                    tenant_id=organization.id,
                    issuer="https://idp.example",
                    client_id=f"client-{number}",
                    client_secret=SECRET,
                    allowed_domains=["example.test"],
                    default_role="viewer",
                )
            )
        await db.commit()


async def _count_list(client: Client, token: str) -> tuple[int, int]:
    with count_statements() as statements:
        body = await gql(client, PROVIDERS, token=token)
    return body["data"]["identityProviders"]["totalCount"], len(statements)


async def test_listing_providers_costs_the_same_statements_for_one_and_many(
    client: Client, world: World, oidc: OidcProvider, owner_engine: AsyncEngine
) -> None:
    await configure(client, world, oidc)
    owner = await login(client, "a_owner")
    one, one_statements = await _count_list(client, owner)
    await _more_organizations(owner_engine, world, 5)
    owner = await login(client, "a_owner")  # entitlements are read per request anyway
    many, many_statements = await _count_list(client, owner)
    assert (one, many) == (1, 6)
    assert one_statements == many_statements
