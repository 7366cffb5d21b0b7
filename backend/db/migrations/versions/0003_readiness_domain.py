"""readiness domain

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 21:34:47.289781

The standards catalog (global, read-only for the app role) and the tenant tables of
certification programs, steps, gap assessments and their history, objectives, actions and
milestones, each under row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "programs",
    "program_steps",
    "assessments",
    "assessment_changes",
    "objectives",
    "actions",
    "action_requirements",
    "milestones",
)
ENUMS = (
    "clause_kind",
    "program_status",
    "step_key",
    "step_status",
    "conformity",
    "priority",
    "implementation",
    "objective_status",
    "benefit",
    "action_status",
)


def upgrade() -> None:
    op.create_table(
        "standards",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("edition", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards")),
        sa.UniqueConstraint("code", "edition", name="uq_standards_code_edition"),
    )
    op.create_table(
        "clauses",
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("kind", sa.Enum("clause", "control", name="clause_kind"), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("documented_information", sa.Boolean(), nullable=False),
        sa.Column("hs_key", sa.String(length=20), nullable=True),
        sa.Column("assessable", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["clauses.id"],
            name=op.f("fk_clauses_parent_id_clauses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["standards.id"],
            name=op.f("fk_clauses_standard_id_standards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clauses")),
        sa.UniqueConstraint("standard_id", "number", name="uq_clauses_standard_number"),
    )
    op.create_index(op.f("ix_clauses_hs_key"), "clauses", ["hs_key"], unique=False)
    op.create_index(op.f("ix_clauses_parent_id"), "clauses", ["parent_id"], unique=False)
    op.create_index(op.f("ix_clauses_standard_id"), "clauses", ["standard_id"], unique=False)
    op.create_table(
        "programs",
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("scope_statement", sa.Text(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("certification_body_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "preparing",
                "certification_audit",
                "certified",
                "surveillance_1",
                "surveillance_2",
                "recertification",
                "suspended",
                "withdrawn",
                "expired",
                name="program_status",
            ),
            nullable=False,
        ),
        sa.Column(
            "suspended_from",
            postgresql.ENUM(name="program_status", create_type=False),
            nullable=True,
        ),
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
            ["certification_body_id"],
            ["organizations.id"],
            name=op.f("fk_programs_certification_body_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_programs_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"], ["standards.id"], name=op.f("fk_programs_standard_id_standards")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_programs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_index(op.f("ix_programs_standard_id"), "programs", ["standard_id"], unique=False)
    op.create_index(op.f("ix_programs_tenant_id"), "programs", ["tenant_id"], unique=False)
    op.create_index(
        "uq_programs_active_standard",
        "programs",
        ["tenant_id", "standard_id"],
        unique=True,
        postgresql_where="status NOT IN ('withdrawn', 'expired')",
    )
    op.create_table(
        "assessments",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_assessed",
                "conformant",
                "partial",
                "nonconformant",
                "not_applicable",
                name="conformity",
            ),
            nullable=False,
        ),
        sa.Column("current_practice", sa.Text(), nullable=False),
        sa.Column("gap_description", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("priority", sa.Enum("high", "medium", "low", name="priority"), nullable=True),
        sa.Column(
            "implementation",
            sa.Enum(
                "not_implemented",
                "planned",
                "partially_implemented",
                "implemented",
                name="implementation",
            ),
            nullable=True,
        ),
        sa.Column("assessed_by_id", sa.Uuid(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["assessed_by_id"],
            ["users.id"],
            name=op.f("fk_assessments_assessed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_assessments_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_assessments_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_assessments_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("program_id", "clause_id", name="uq_assessments_program_clause"),
    )
    op.create_index(op.f("ix_assessments_clause_id"), "assessments", ["clause_id"], unique=False)
    op.create_index(op.f("ix_assessments_program_id"), "assessments", ["program_id"], unique=False)
    op.create_index(op.f("ix_assessments_tenant_id"), "assessments", ["tenant_id"], unique=False)
    op.create_table(
        "milestones",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=True),
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
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_milestones_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_milestones_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_program_id"), "milestones", ["program_id"], unique=False)
    op.create_index(op.f("ix_milestones_tenant_id"), "milestones", ["tenant_id"], unique=False)
    op.create_table(
        "objectives",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("indicator", sa.String(length=300), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open", "on_track", "at_risk", "achieved", "cancelled", name="objective_status"
            ),
            nullable=False,
        ),
        sa.Column(
            "benefit",
            sa.Enum(
                "improved_efficiency",
                "customer_satisfaction",
                "market_access",
                "risk_management",
                "regulatory_compliance",
                name="benefit",
            ),
            nullable=False,
        ),
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
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_objectives_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_objectives_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_objectives_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
    )
    op.create_index(op.f("ix_objectives_program_id"), "objectives", ["program_id"], unique=False)
    op.create_index(op.f("ix_objectives_tenant_id"), "objectives", ["tenant_id"], unique=False)
    op.create_table(
        "program_steps",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column(
            "key",
            sa.Enum(
                "gap_analysis",
                "planning",
                "training",
                "documentation",
                "implementation",
                "internal_audit",
                "certification_audit",
                name="step_key",
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("not_started", "in_progress", "completed", name="step_status"),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
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
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_program_steps_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_steps_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_program_steps_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_steps")),
        sa.UniqueConstraint("program_id", "number", name="uq_program_steps_number"),
    )
    op.create_index(
        op.f("ix_program_steps_program_id"), "program_steps", ["program_id"], unique=False
    )
    op.create_index(
        op.f("ix_program_steps_tenant_id"), "program_steps", ["tenant_id"], unique=False
    )
    op.create_table(
        "actions",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("objective_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "in_progress", "done", "cancelled", name="action_status"),
            nullable=False,
        ),
        sa.Column("effort_hours", sa.Numeric(precision=7, scale=1), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_actions_objective_id_objectives"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_actions_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_actions_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_actions_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index(op.f("ix_actions_objective_id"), "actions", ["objective_id"], unique=False)
    op.create_index(op.f("ix_actions_program_id"), "actions", ["program_id"], unique=False)
    op.create_index(op.f("ix_actions_tenant_id"), "actions", ["tenant_id"], unique=False)
    op.create_table(
        "assessment_changes",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_changes_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_assessment_changes_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_changes")),
    )
    op.create_index(
        op.f("ix_assessment_changes_assessment_id"),
        "assessment_changes",
        ["assessment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_assessment_changes_tenant_id"), "assessment_changes", ["tenant_id"], unique=False
    )
    op.create_table(
        "action_requirements",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_requirements_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_action_requirements_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_action_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_requirements")),
        sa.UniqueConstraint("action_id", "clause_id", name="uq_action_requirements_action_clause"),
    )
    op.create_index(
        op.f("ix_action_requirements_action_id"), "action_requirements", ["action_id"], unique=False
    )
    op.create_index(
        op.f("ix_action_requirements_clause_id"), "action_requirements", ["clause_id"], unique=False
    )
    op.create_index(
        op.f("ix_action_requirements_tenant_id"), "action_requirements", ["tenant_id"], unique=False
    )

    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_action_requirements_tenant_id"), table_name="action_requirements")
    op.drop_index(op.f("ix_action_requirements_clause_id"), table_name="action_requirements")
    op.drop_index(op.f("ix_action_requirements_action_id"), table_name="action_requirements")
    op.drop_table("action_requirements")
    op.drop_index(op.f("ix_assessment_changes_tenant_id"), table_name="assessment_changes")
    op.drop_index(op.f("ix_assessment_changes_assessment_id"), table_name="assessment_changes")
    op.drop_table("assessment_changes")
    op.drop_index(op.f("ix_actions_tenant_id"), table_name="actions")
    op.drop_index(op.f("ix_actions_program_id"), table_name="actions")
    op.drop_index(op.f("ix_actions_objective_id"), table_name="actions")
    op.drop_table("actions")
    op.drop_index(op.f("ix_program_steps_tenant_id"), table_name="program_steps")
    op.drop_index(op.f("ix_program_steps_program_id"), table_name="program_steps")
    op.drop_table("program_steps")
    op.drop_index(op.f("ix_objectives_tenant_id"), table_name="objectives")
    op.drop_index(op.f("ix_objectives_program_id"), table_name="objectives")
    op.drop_table("objectives")
    op.drop_index(op.f("ix_milestones_tenant_id"), table_name="milestones")
    op.drop_index(op.f("ix_milestones_program_id"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_index(op.f("ix_assessments_tenant_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_program_id"), table_name="assessments")
    op.drop_index(op.f("ix_assessments_clause_id"), table_name="assessments")
    op.drop_table("assessments")
    op.drop_index(
        "uq_programs_active_standard",
        table_name="programs",
        postgresql_where="status NOT IN ('withdrawn', 'expired')",
    )
    op.drop_index(op.f("ix_programs_tenant_id"), table_name="programs")
    op.drop_index(op.f("ix_programs_standard_id"), table_name="programs")
    op.drop_table("programs")
    op.drop_index(op.f("ix_clauses_standard_id"), table_name="clauses")
    op.drop_index(op.f("ix_clauses_parent_id"), table_name="clauses")
    op.drop_index(op.f("ix_clauses_hs_key"), table_name="clauses")
    op.drop_table("clauses")
    op.drop_table("standards")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
