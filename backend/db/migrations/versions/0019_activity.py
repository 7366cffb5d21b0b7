"""activity log

Revision ID: 0019
Revises: 0018

The tamper-evident activity log: entries hash-chained per tenant (append-only: the database
refuses UPDATE and DELETE to the app role), each tenant's chain head (its row lock
serializes the tenant's writers) and the results of chain verifications, every table under
row-level security.
Create Date: 2026-12-06 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db.append_only import append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("activity_log", "activity_heads", "activity_verifications")


def _tenant_column(primary_key: bool = False) -> sa.Column[sa.Uuid]:
    return sa.Column(
        "tenant_id",
        sa.Uuid(),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "activity_log",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _tenant_column(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(length=120), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=200)),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=False),
        sa.Column("request_id", sa.String(length=128)),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
    )
    op.create_index("uq_activity_log_seq", "activity_log", ["tenant_id", "seq"], unique=True)
    op.create_index("ix_activity_log_tenant_id", "activity_log", ["tenant_id"])
    op.create_index("ix_activity_log_object_id", "activity_log", ["object_id"])
    op.create_table(
        "activity_heads",
        _tenant_column(primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "activity_verifications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _tenant_column(),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("broken_at_seq", sa.BigInteger()),
        sa.Column("reason", sa.Text()),
    )
    op.create_index("ix_activity_verifications_tenant_id", "activity_verifications", ["tenant_id"])
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in append_only("activity_log"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only("activity_log"):
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_table("activity_verifications")
    op.drop_table("activity_heads")
    op.drop_table("activity_log")
