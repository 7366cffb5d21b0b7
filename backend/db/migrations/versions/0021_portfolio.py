"""portfolio

Revision ID: 0021
Revises: 0020

Requirement and checklist line assignments (who answers for a requirement of a program,
who works a line of an internal audit's checklist; both under row-level security) and the client's limits on a consultancy engagement: the role its people get
(consultant or viewer); its end date is the existing `ended_at`, set in the future.
Create Date: 2026-12-06 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("requirement_assignments", "checklist_line_assignments")
ENGAGEMENT_ROLE = postgresql.ENUM("consultant", "viewer", name="engagement_role")


def upgrade() -> None:
    ENGAGEMENT_ROLE.create(op.get_bind())
    op.add_column(
        "consultancy_engagements",
        sa.Column(
            "role",
            postgresql.ENUM(name="engagement_role", create_type=False),
            server_default="consultant",
            nullable=False,
        ),
    )
    op.create_table(
        "requirement_assignments",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_requirement_assignments_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clauses.id"],
            name=op.f("fk_requirement_assignments_clause_id_clauses"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_requirement_assignments_assignee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_requirement_assignments_assigned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_requirement_assignments_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_assignments")),
        sa.UniqueConstraint(
            "program_id", "clause_id", name="uq_requirement_assignments_requirement"
        ),
    )
    op.create_index(
        op.f("ix_requirement_assignments_assignee_id"),
        "requirement_assignments",
        ["assignee_id"],
    )
    op.create_index(
        op.f("ix_requirement_assignments_tenant_id"), "requirement_assignments", ["tenant_id"]
    )
    _checklist_line_assignments()
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)


def _checklist_line_assignments() -> None:
    op.create_table(
        "checklist_line_assignments",
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["audit_checklist_lines.id"],
            name=op.f("fk_checklist_line_assignments_line_id_audit_checklist_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_checklist_line_assignments_assignee_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_checklist_line_assignments_assigned_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_checklist_line_assignments_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_line_assignments")),
        sa.UniqueConstraint("line_id", name="uq_checklist_line_assignments_line"),
    )
    op.create_index(
        op.f("ix_checklist_line_assignments_assignee_id"),
        "checklist_line_assignments",
        ["assignee_id"],
    )
    op.create_index(
        op.f("ix_checklist_line_assignments_tenant_id"), "checklist_line_assignments", ["tenant_id"]
    )


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_table("checklist_line_assignments")
    op.drop_table("requirement_assignments")
    op.drop_column("consultancy_engagements", "role")
    ENGAGEMENT_ROLE.drop(op.get_bind())
