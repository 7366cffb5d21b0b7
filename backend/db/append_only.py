"""Append-only tables, enforced by the database rather than by the services' good manners.

A migration marks a table with one line, `append_only(table)`, or, when rows are written
pending and decided exactly once later, `append_only(table, Decision(...))`. The mark is a
row trigger calling `append_only_guard()`, and it does two jobs:

- it refuses DELETE, and UPDATE (or any UPDATE but the one decision), to every role that
  does not own the table;
- `certready migrate` finds the marked tables in the catalog and revokes DELETE, and UPDATE
  where no decision exists, from the app role (`app_role_revocations`). The role name is a
  setting, unknown to migrations, so privileges are refreshed there, like every other grant.

The table owner is exempt, like privileges exempt it: migrations, operators, and the
referential actions PostgreSQL runs as the owner (a program deleted with its assessments and
their history, a user's id set to NULL when the user goes) keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

GUARD = "append_only_guard"

# TG_ARGV of a decision: the state column, its undecided value, then the columns it sets.
CREATE_GUARD = f"""
CREATE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sets text[];
BEGIN
    IF pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' OR TG_NARGS = 0 THEN
        RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF to_jsonb(OLD) ->> TG_ARGV[0] IS DISTINCT FROM TG_ARGV[1]
        OR to_jsonb(NEW) ->> TG_ARGV[0] IS NOT DISTINCT FROM TG_ARGV[1] THEN
        RAISE EXCEPTION '% rows are decided once: % may only leave %',
            TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    sets := TG_ARGV[2:TG_NARGS - 1];
    IF to_jsonb(NEW) - sets IS DISTINCT FROM to_jsonb(OLD) - sets THEN
        RAISE EXCEPTION '% rows are append-only: a decision sets only %',
            TG_TABLE_NAME, array_to_string(sets, ', ')
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$
"""
DROP_GUARD = f"DROP FUNCTION IF EXISTS {GUARD}()"

GUARDED_TABLES = text(
    "SELECT c.relname, t.tgnargs > 0 AS decided FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
    f" WHERE p.proname = '{GUARD}' AND c.relnamespace = 'public'::regnamespace"
    " ORDER BY c.relname"
)


@dataclass(frozen=True)
class Decision:
    """The one update a row may get: `state` leaves `undecided`, setting only `sets`."""

    state: str
    undecided: str
    sets: tuple[str, ...]


def append_only(table: str, decision: Decision | None = None) -> list[str]:
    """Statements that make `table` append-only (`CREATE_GUARD` must exist already)."""
    arguments = ""
    if decision is not None:
        names = (decision.state, decision.undecided, *decision.sets)
        arguments = ", ".join(f"'{name}'" for name in names)
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {GUARD}({arguments})"
    ]


def drop_append_only(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]


async def guarded_tables(connection: AsyncConnection) -> dict[str, bool]:
    """Every append-only table in the catalog, and whether it has a decision."""
    return {row.relname: row.decided for row in await connection.execute(GUARDED_TABLES)}


async def app_role_revocations(connection: AsyncConnection, role: str) -> list[str]:
    """What the app role loses on append-only tables once every table has been granted."""
    return [
        f'REVOKE {"DELETE" if decided else "UPDATE, DELETE"} ON {table} FROM "{role}"'
        for table, decided in (await guarded_tables(connection)).items()
    ]
