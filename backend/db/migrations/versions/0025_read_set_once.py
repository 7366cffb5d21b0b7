"""read set parsed once per statement

Revision ID: 0025
Revises: 0024

Every SELECT policy wraps its read set in a scalar subquery, so PostgreSQL parses
`app.read_tenants` once per statement (an InitPlan) instead of once per row it filters.
Policies created by earlier revisions are rewritten in place from their stored expression;
nothing else in them changes.
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# How PostgreSQL deparses the read set inside a stored policy expression, then wrapped.
PER_ROW = (
    "(string_to_array(NULLIF(current_setting('app.read_tenants'::text, true), ''::text),"
    " ','::text))::uuid[]"
)
ONCE = f"( SELECT {PER_ROW} AS string_to_array)::uuid[]"


def upgrade() -> None:
    _rewrite(once=True)


def downgrade() -> None:
    _rewrite(once=False)


def in_form(expression: str | None, once: bool) -> str | None:
    """`expression` with its read set in the wanted form (the wrapped one holds the bare one,
    so it is unwrapped first: running twice changes nothing)."""
    if expression is None:
        return None
    bare = expression.replace(ONCE, PER_ROW)
    return bare.replace(PER_ROW, ONCE) if once else bare


def _rewrite(once: bool) -> None:
    """ALTER each policy whose USING or WITH CHECK expression reads the read set."""
    bind = op.get_bind()
    policies = bind.execute(
        text(
            "SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies"
            " WHERE strpos(qual, :bare) > 0 OR strpos(with_check, :bare) > 0"
        ),
        {"bare": PER_ROW},
    ).all()
    for schema, table, name, qual, check in policies:
        clauses = []
        if (using := in_form(qual, once)) != qual:
            clauses.append(f"USING ({using})")
        if (checked := in_form(check, once)) != check:
            clauses.append(f"WITH CHECK ({checked})")
        if clauses:
            op.execute(f'ALTER POLICY "{name}" ON "{schema}"."{table}" ' + " ".join(clauses))
