"""The entitlement rules as one database function, so a request learns who calls in one
round trip with no scope set before it.

Every request with a token asks whether its login is live, reads the caller's user row and
collects the three routes of entitlement (see tenants.entitlements). Under the tables'
row-level security that needs `app.user_id` set first, which took a statement of its own
before the entitlements, and the read scope they give then took another. `login_entitlements`
sets the user's scope itself and runs the statement, all in one call:

- it is SECURITY INVOKER: it runs as the app role and meets the same policies as any other
  statement; it is no way past isolation, only the scope and the statement travelling together;
- its SET clauses make PostgreSQL restore the three scope settings when it returns, so called
  inside a transaction it leaves the caller's scope as it was;
- `login` NULL asks for no login check (work done as a user outside a request, such as a
  calendar feed): the routes come back as live.

Its user columns are those the `User` mapping loads (tests/tenants check they agree); a
migration that adds one to `users` replaces the function too.
"""

from __future__ import annotations

FUNCTION = "login_entitlements(uuid, uuid)"

USER_COLUMNS = {
    "email": "varchar",
    "name": "varchar",
    "is_active": "boolean",
    "identity_issuer": "varchar",
    "identity_subject": "varchar",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
}


def routes_of_login(caller: str, login: str, user_columns: dict[str, str] = USER_COLUMNS) -> str:
    """The function's statement, with `caller` and `login` as the SQL that names them: the
    function's arguments, or placeholders where a test EXPLAINs it (tests/scale)."""
    selected = ", ".join(f"u.{name}" for name in user_columns)
    return f"""
        SELECT s.live, r.tenant_id, r.role, {selected}
        FROM (
            SELECT {login} IS NULL OR EXISTS (
                SELECT FROM public.refresh_tokens t
                WHERE t.family_id = {login} AND t.user_id = {caller} AND t.revoked_at IS NULL
            ) AS live
        ) s
        LEFT JOIN (
            SELECT m.tenant_id, m.role::text AS role
            FROM public.memberships m
            WHERE m.user_id = {caller}
            UNION ALL
            SELECT e.tenant_id,
                   CASE WHEN m.role = 'viewer' OR e.role = 'viewer'
                        THEN 'viewer' ELSE 'consultant' END
            FROM public.consultancy_engagements e
            JOIN public.memberships m ON m.tenant_id = e.consultancy_id
            WHERE m.user_id = {caller}
              AND e.started_at <= now() AND (e.ended_at IS NULL OR e.ended_at > now())
            UNION ALL
            SELECT g.tenant_id, 'auditor'
            FROM public.auditor_grants g
            WHERE g.certification_body_id IN (
                    SELECT m.tenant_id FROM public.memberships m WHERE m.user_id = {caller})
              AND g.valid_from <= now() AND g.valid_until > now() AND g.revoked_at IS NULL
        ) r ON s.live
        JOIN public.users u ON u.id = {caller}"""


def _create(user_columns: dict[str, str]) -> str:
    returned = ", ".join(f"{name} {kind}" for name, kind in user_columns.items())
    return f"""
    CREATE FUNCTION login_entitlements(caller uuid, login uuid)
    RETURNS TABLE (live boolean, tenant_id uuid, role text, {returned})
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET app.user_id = '' SET app.read_tenants = '' SET app.write_tenant = ''
    AS $$
    #variable_conflict use_column
    BEGIN
        PERFORM set_config('app.user_id', caller::text, true);
        RETURN QUERY {routes_of_login("caller", "login", user_columns)};
    END
    $$
    """


CREATE_FUNCTION = [_create(USER_COLUMNS)]
DROP_FUNCTION = [f"DROP FUNCTION IF EXISTS {FUNCTION}"]
