"""login entitlements

Revision ID: 0028
Revises: 0027

The entitlement rules as one SECURITY INVOKER function that sets the caller's scope itself,
so a request checks its login and collects its routes in one round trip, with no scope set
before it (tenants/entitlements_sql.py).
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

from alembic import op

from tenants.entitlements_sql import CREATE_FUNCTION, DROP_FUNCTION

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in CREATE_FUNCTION:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_FUNCTION:
        op.execute(statement)
