"""readiness

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:45:00.000000

Readiness snapshots (a program's score over time, append-only) and organizations' own
readiness weights per standard, both under row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db.append_only import append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("readiness_snapshots", "readiness_weights")


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_tenant_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "readiness_snapshots",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("breakdown", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_readiness_snapshots_program_id_programs"),
            ondelete="CASCADE",
        ),
        _tenant_key("readiness_snapshots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_snapshots")),
    )
    op.create_index(
        "ix_readiness_snapshots_program_time",
        "readiness_snapshots",
        ["program_id", "computed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_readiness_snapshots_tenant_id"),
        "readiness_snapshots",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "readiness_weights",
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["standards.id"],
            name=op.f("fk_readiness_weights_standard_id_standards"),
        ),
        _tenant_key("readiness_weights"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_weights")),
        sa.UniqueConstraint("tenant_id", "standard_id", name="uq_readiness_weights"),
    )
    op.create_index(
        op.f("ix_readiness_weights_tenant_id"), "readiness_weights", ["tenant_id"], unique=False
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in append_only("readiness_snapshots"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only("readiness_snapshots"):
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_readiness_weights_tenant_id"), table_name="readiness_weights")
    op.drop_table("readiness_weights")
    op.drop_index(op.f("ix_readiness_snapshots_tenant_id"), table_name="readiness_snapshots")
    op.drop_index("ix_readiness_snapshots_program_time", table_name="readiness_snapshots")
    op.drop_table("readiness_snapshots")
