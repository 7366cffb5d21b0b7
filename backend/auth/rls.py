"""How the app role reaches the authentication tables: only the rows a transaction proves.

Tenant tables are keyed on the tenant context; these are keyed on what a step of
authentication holds, written into transaction-local settings like the tenant context:

- `users`: a user sees itself (`app.user_id`) and the members of the organizations it reads.
  The password hash is not granted at all: login reads it through `auth_credentials(email)`,
  a SECURITY DEFINER function of the owner with a fixed search_path, the one way to it.
- `refresh_tokens`: the current user's, or the one whose SHA-256 is `app.token_digest`
  (someone presenting a token, before it is known whose it is).
- `invitations`: a tenant table; outside its tenant only the one `app.token_digest` names.
- `login_throttles`: only the counters of the email and address in `app.login_email` and
  `app.login_address`.
- `identity_providers`, `sso_logins`: tenant tables. A sign-in finds its organization through
  `sso_organization(slug)` (only one with an enabled provider) and its account through
  `sso_account(issuer, subject)`, owner functions like `auth_credentials`, and then works in
  that organization's system scope.

With no setting, the app role reads none of them. `users` is ENABLEd but not FORCEd: the
owner, which runs migrations and the definer function, is exempt; the app role owns
nothing, so it never is. The others are FORCEd like the tenant tables.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenants.rls import CURRENT_USER_ID

PRESENTED_DIGEST = "decode(NULLIF(current_setting('app.token_digest', true), ''), 'hex')"
LOGIN_EMAIL = "NULLIF(current_setting('app.login_email', true), '')"
LOGIN_ADDRESS = "NULLIF(current_setting('app.login_address', true), '')"

CREDENTIALS_FUNCTION = "auth_credentials(text)"
# Functions are executable by PUBLIC unless revoked; `certready migrate` grants the app role.
CREATE_CREDENTIALS_FUNCTION = [
    """
    CREATE FUNCTION auth_credentials(login_email text)
    RETURNS TABLE (user_id uuid, password_hash varchar, is_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT u.id, u.password_hash, u.is_active FROM public.users u
        WHERE lower(u.email) = lower(login_email)
    $$
    """,
    f"REVOKE ALL ON FUNCTION {CREDENTIALS_FUNCTION} FROM PUBLIC",
]
DROP_CREDENTIALS_FUNCTION = f"DROP FUNCTION IF EXISTS {CREDENTIALS_FUNCTION}"

# Single sign-on starts before anyone is known: the organization is named by its slug, and
# an account by its provider's issuer and subject. Each is one owner function like the above.
SSO_ORGANIZATION_FUNCTION = "sso_organization(text)"
SSO_ACCOUNT_FUNCTION = "sso_account(text, text)"
SSO_FUNCTIONS = (SSO_ORGANIZATION_FUNCTION, SSO_ACCOUNT_FUNCTION)
CREATE_SSO_FUNCTIONS = [
    """
    CREATE FUNCTION sso_organization(organization_slug text)
    RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT o.id FROM public.organizations o
        JOIN public.identity_providers p ON p.tenant_id = o.id AND p.enabled
        WHERE o.slug = organization_slug
    $$
    """,
    """
    CREATE FUNCTION sso_account(issuer text, subject text)
    RETURNS TABLE (user_id uuid, is_active boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT u.id, u.is_active FROM public.users u
        WHERE u.identity_issuer = issuer AND u.identity_subject = subject
    $$
    """,
    *(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC" for function in SSO_FUNCTIONS),
]
DROP_SSO_FUNCTIONS = [f"DROP FUNCTION IF EXISTS {function}" for function in SSO_FUNCTIONS]

_USERS_READ = f"id = {CURRENT_USER_ID} OR id IN (SELECT m.user_id FROM memberships m)"
_OWN_TOKEN = f"user_id = {CURRENT_USER_ID} OR token_hash = {PRESENTED_DIGEST}"
# A login attempt's three counters: its (email, address) pair, its email and its address.
_THROTTLE_KEYS = (
    f"(email = {LOGIN_EMAIL} AND client_address IN ({LOGIN_ADDRESS}, ''))"
    f" OR (email = '' AND client_address = {LOGIN_ADDRESS})"
)

USERS_POLICIES = [
    "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY users_select ON users FOR SELECT USING ({_USERS_READ})",
    # An account is created and changed only as itself: accepting an invitation, a rehash.
    f"CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (id = {CURRENT_USER_ID})",
    f"CREATE POLICY users_update ON users FOR UPDATE"
    f" USING (id = {CURRENT_USER_ID}) WITH CHECK (id = {CURRENT_USER_ID})",
]
REFRESH_TOKEN_POLICIES = [
    "ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY",
    f"CREATE POLICY refresh_tokens_select ON refresh_tokens FOR SELECT USING ({_OWN_TOKEN})",
    "CREATE POLICY refresh_tokens_insert ON refresh_tokens FOR INSERT"
    f" WITH CHECK (user_id = {CURRENT_USER_ID})",
    "CREATE POLICY refresh_tokens_update ON refresh_tokens FOR UPDATE"
    f" USING ({_OWN_TOKEN}) WITH CHECK ({_OWN_TOKEN})",
]
THROTTLE_POLICIES = [
    "ALTER TABLE login_throttles ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE login_throttles FORCE ROW LEVEL SECURITY",
    *(
        f"CREATE POLICY login_throttles_{command.lower()} ON login_throttles FOR {command}"
        + (f" USING ({_THROTTLE_KEYS})" if command != "INSERT" else "")
        + (f" WITH CHECK ({_THROTTLE_KEYS})" if command in {"INSERT", "UPDATE"} else "")
        for command in ("SELECT", "INSERT", "UPDATE")
    ),
]
INVITATION_EXTRA_READ = f"token_hash = {PRESENTED_DIGEST}"


def drop_policies(table: str, commands: tuple[str, ...]) -> list[str]:
    return [
        *(f"DROP POLICY IF EXISTS {table}_{command} ON {table}" for command in commands),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


async def app_role_auth_grants(connection: AsyncConnection, role: str) -> list[str]:
    """Every column of `users` but the password hash, the function that reads it, and the
    single sign-on lookups.

    Refreshed by `certready migrate` after the blanket table grants, which would otherwise
    give the hash back; a column added later is granted by the next migrate.
    """
    columns = await connection.scalar(
        text(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
            " WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped"
            " AND attname <> 'password_hash'"
        )
    )
    return [
        f'REVOKE SELECT ON users FROM "{role}"',
        f'GRANT SELECT ({columns}) ON users TO "{role}"',
        f'GRANT EXECUTE ON FUNCTION {CREDENTIALS_FUNCTION} TO "{role}"',
        *(f'GRANT EXECUTE ON FUNCTION {function} TO "{role}"' for function in SSO_FUNCTIONS),
    ]
