"""reports

Revision ID: 0022
Revises: 0021

Reports (spreadsheet exports and PDF documents) and their files, written once with their
SHA-256 (append-only), both under row-level security.
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.db.append_only import append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("reports", "report_files")
KINDS = (
    "gap_analysis",
    "statement_of_applicability",
    "findings",
    "action_plan",
    "registers",
    "readiness",
)
ENUMS = ("report_kind", "report_format", "report_status")


def _tenant_column() -> sa.Column[sa.Uuid]:
    return sa.Column(
        "tenant_id",
        sa.Uuid(),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _tenant_column(),
        sa.Column(
            "program_id",
            sa.Uuid(),
            sa.ForeignKey("programs.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.Enum(*KINDS, name="report_kind"), nullable=False),
        sa.Column("format", sa.Enum("xlsx", "pdf", name="report_format"), nullable=False),
        sa.Column(
            "status", sa.Enum("pending", "ready", "failed", name="report_status"), nullable=False
        ),
        sa.Column("requested_by_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("sha256", sa.String(length=64)),
        sa.Column("render_ms", sa.Integer()),
        sa.Column("pages", sa.Integer()),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
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
    )
    op.create_table(
        "report_files",
        sa.Column(
            "report_id",
            sa.Uuid(),
            sa.ForeignKey("reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _tenant_column(),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in append_only("report_files"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only("report_files"):
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_table("report_files")
    op.drop_table("reports")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind())
