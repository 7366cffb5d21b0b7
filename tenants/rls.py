"""Row-level security policy DDL shared by the migrations.

One policy per command (see docs/architecture.md): a reader's UPDATE and DELETE match no
rows and its INSERT fails, because only the write tenant passes the write test.
"""

from __future__ import annotations

# The read set is parsed once per statement: as a scalar subquery it becomes an InitPlan, where
# a bare expression would be re-parsed for every row a filter or a correlated subplan visits
# (200 tenants times thousands of rows made a consultant's programs list take seconds).
# The outer cast makes ANY read the subquery's one value as an array, not as a row set.
READ_SET = "string_to_array(NULLIF(current_setting('app.read_tenants', true), ''), ',')::uuid[]"
READ_TEST = f"tenant_id = ANY ((SELECT {READ_SET})::uuid[])"
WRITE_TEST = "tenant_id = NULLIF(current_setting('app.write_tenant', true), '')::uuid"
CURRENT_USER_ID = "NULLIF(current_setting('app.user_id', true), '')::uuid"


def tenant_policies(table: str, extra_read: str | None = None) -> list[str]:
    """Statements that lock `table` to the tenant context.

    `extra_read` widens SELECT only, for rows a principal must see before its tenants are
    known (its own memberships, the engagements and grants that entitle it).
    """
    read = f"({READ_TEST}) OR ({extra_read})" if extra_read else READ_TEST
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_select ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({WRITE_TEST})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE"
        f" USING ({WRITE_TEST}) WITH CHECK ({WRITE_TEST})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({WRITE_TEST})",
    ]


def drop_tenant_policies(table: str) -> list[str]:
    return [
        *(
            f"DROP POLICY IF EXISTS {table}_{command} ON {table}"
            for command in ("select", "insert", "update", "delete")
        ),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def own_membership_tenants() -> str:
    """Organizations the current user is a member of (memberships' own policy lets this through)."""
    return f"SELECT m.tenant_id FROM memberships m WHERE m.user_id = {CURRENT_USER_ID}"
