"""jobs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:40:00

The job outbox (a tenant table, ENABLEd but not FORCEd so the owner's two definer functions
can claim and fan out across tenants; see backend/jobs/sql.py) and the schedules of periodic
jobs, shared by every tenant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.jobs.sql import CREATE_FUNCTIONS, DROP_FUNCTIONS
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = postgresql.ENUM("pending", "published", "done", "dead", name="job_status")


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column(
            "payload", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("status", STATUS, server_default="pending", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publications", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_job_outbox_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index(op.f("ix_job_outbox_tenant_id"), "job_outbox", ["tenant_id"], unique=False)
    op.create_index(
        "ix_job_outbox_open",
        "job_outbox",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'published')"),
    )
    op.create_table(
        "job_schedules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_schedules")),
    )
    for statement in tenant_policies("job_outbox"):
        op.execute(statement)
    op.execute("ALTER TABLE job_outbox NO FORCE ROW LEVEL SECURITY")
    for statement in CREATE_FUNCTIONS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_FUNCTIONS:
        op.execute(statement)
    for statement in drop_tenant_policies("job_outbox"):
        op.execute(statement)
    op.drop_table("job_schedules")
    op.drop_index("ix_job_outbox_open", table_name="job_outbox")
    op.drop_index(op.f("ix_job_outbox_tenant_id"), table_name="job_outbox")
    op.drop_table("job_outbox")
    STATUS.drop(op.get_bind())
