"""audits

Revision ID: 0011
Revises: 0010

The audit programme with the requirements it covers, audits with their team and checklist,
what each checklist line relied on, and the findings each audit raised, every table under
row-level security.
Create Date: 2026-12-06 19:09:51.888885
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "audit_programmes",
    "audit_programme_requirements",
    "audits",
    "audit_team_members",
    "audit_checklist_lines",
    "audit_checklist_references",
    "audit_findings",
)
ENUMS = ("audit_independence", "audit_status", "checklist_result")


def upgrade() -> None:
    op.create_table(
        "audit_programmes",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("audits_per_period", sa.SmallInteger(), nullable=False),
        sa.Column(
            "independence", sa.Enum("warn", "refuse", name="audit_independence"), nullable=False
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
        sa.CheckConstraint(
            "audits_per_period BETWEEN 1 AND 12",
            name=op.f("ck_audit_programmes_audits_per_period_range"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_audit_programmes_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_programmes_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_programmes")),
    )
    op.create_index(
        op.f("ix_audit_programmes_tenant_id"), "audit_programmes", ["tenant_id"], unique=False
    )
    op.create_table(
        "audit_programme_requirements",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clauses.id"],
            name=op.f("fk_audit_programme_requirements_clause_id_clauses"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_audit_programme_requirements_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["audit_programmes.id"],
            name=op.f("fk_audit_programme_requirements_programme_id_audit_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_programme_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_programme_requirements")),
        sa.UniqueConstraint(
            "programme_id", "program_id", "clause_id", name="uq_audit_programme_requirements"
        ),
    )
    op.create_index(
        op.f("ix_audit_programme_requirements_clause_id"),
        "audit_programme_requirements",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_programme_requirements_program_id"),
        "audit_programme_requirements",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_programme_requirements_programme_id"),
        "audit_programme_requirements",
        ["programme_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_programme_requirements_tenant_id"),
        "audit_programme_requirements",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "audits",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("processes", sa.JSON(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("auditee_contacts", sa.JSON(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("lead_auditor_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned", "in_progress", "reporting", "closed", "cancelled", name="audit_status"
            ),
            nullable=False,
        ),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Uuid(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=False),
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
        sa.CheckConstraint("planned_end >= planned_start", name=op.f("ck_audits_planned_in_order")),
        sa.ForeignKeyConstraint(
            ["lead_auditor_id"],
            ["users.id"],
            name=op.f("fk_audits_lead_auditor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["audit_programmes.id"],
            name=op.f("fk_audits_programme_id_audit_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_audits_signed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audits_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_audits_reference"),
    )
    op.create_index(op.f("ix_audits_programme_id"), "audits", ["programme_id"], unique=False)
    op.create_index(op.f("ix_audits_tenant_id"), "audits", ["tenant_id"], unique=False)
    op.create_table(
        "audit_checklist_lines",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("sampled_records", sa.Text(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "conformant",
                "nonconformity",
                "observation",
                "opportunity_for_improvement",
                "not_sampled",
                name="checklist_result",
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_checklist_lines_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_audit_checklist_lines_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_audit_checklist_lines_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_checklist_lines_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checklist_lines")),
        sa.UniqueConstraint("audit_id", "program_id", "clause_id", name="uq_audit_checklist_lines"),
    )
    op.create_index(
        op.f("ix_audit_checklist_lines_audit_id"),
        "audit_checklist_lines",
        ["audit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_checklist_lines_clause_id"),
        "audit_checklist_lines",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_checklist_lines_program_id"),
        "audit_checklist_lines",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_checklist_lines_tenant_id"),
        "audit_checklist_lines",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "audit_team_members",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("external_name", sa.String(length=300), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (external_name = '')",
            name=op.f("ck_audit_team_members_member_or_named"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_team_members_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_team_members_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_team_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_team_members")),
    )
    op.create_index(
        op.f("ix_audit_team_members_audit_id"), "audit_team_members", ["audit_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_team_members_tenant_id"), "audit_team_members", ["tenant_id"], unique=False
    )
    op.create_table(
        "audit_checklist_references",
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_version_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(evidence_version_id IS NULL) <> (document_id IS NULL)",
            name=op.f("ck_audit_checklist_references_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["controlled_documents.id"],
            name=op.f("fk_audit_checklist_references_document_id_controlled_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_version_id"],
            ["evidence_versions.id"],
            name=op.f("fk_audit_checklist_references_evidence_version_id_evidence_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["audit_checklist_lines.id"],
            name=op.f("fk_audit_checklist_references_line_id_audit_checklist_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_checklist_references_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checklist_references")),
        sa.UniqueConstraint(
            "line_id",
            "evidence_version_id",
            "document_id",
            name="uq_audit_checklist_references",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_audit_checklist_references_line_id"),
        "audit_checklist_references",
        ["line_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_checklist_references_tenant_id"),
        "audit_checklist_references",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "audit_findings",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audits.id"],
            name=op.f("fk_audit_findings_audit_id_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_audit_findings_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["audit_checklist_lines.id"],
            name=op.f("fk_audit_findings_line_id_audit_checklist_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_audit_findings_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_findings")),
        sa.UniqueConstraint("finding_id", name="uq_audit_findings_finding"),
    )
    op.create_index(
        op.f("ix_audit_findings_audit_id"), "audit_findings", ["audit_id"], unique=False
    )
    op.create_index(op.f("ix_audit_findings_line_id"), "audit_findings", ["line_id"], unique=False)
    op.create_index(
        op.f("ix_audit_findings_tenant_id"), "audit_findings", ["tenant_id"], unique=False
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_audit_findings_tenant_id"), table_name="audit_findings")
    op.drop_index(op.f("ix_audit_findings_line_id"), table_name="audit_findings")
    op.drop_index(op.f("ix_audit_findings_audit_id"), table_name="audit_findings")
    op.drop_table("audit_findings")
    op.drop_index(
        op.f("ix_audit_checklist_references_tenant_id"), table_name="audit_checklist_references"
    )
    op.drop_index(
        op.f("ix_audit_checklist_references_line_id"), table_name="audit_checklist_references"
    )
    op.drop_table("audit_checklist_references")
    op.drop_index(op.f("ix_audit_team_members_tenant_id"), table_name="audit_team_members")
    op.drop_index(op.f("ix_audit_team_members_audit_id"), table_name="audit_team_members")
    op.drop_table("audit_team_members")
    op.drop_index(op.f("ix_audit_checklist_lines_tenant_id"), table_name="audit_checklist_lines")
    op.drop_index(op.f("ix_audit_checklist_lines_program_id"), table_name="audit_checklist_lines")
    op.drop_index(op.f("ix_audit_checklist_lines_clause_id"), table_name="audit_checklist_lines")
    op.drop_index(op.f("ix_audit_checklist_lines_audit_id"), table_name="audit_checklist_lines")
    op.drop_table("audit_checklist_lines")
    op.drop_index(op.f("ix_audits_tenant_id"), table_name="audits")
    op.drop_index(op.f("ix_audits_programme_id"), table_name="audits")
    op.drop_table("audits")
    op.drop_index(
        op.f("ix_audit_programme_requirements_tenant_id"), table_name="audit_programme_requirements"
    )
    op.drop_index(
        op.f("ix_audit_programme_requirements_programme_id"),
        table_name="audit_programme_requirements",
    )
    op.drop_index(
        op.f("ix_audit_programme_requirements_program_id"),
        table_name="audit_programme_requirements",
    )
    op.drop_index(
        op.f("ix_audit_programme_requirements_clause_id"), table_name="audit_programme_requirements"
    )
    op.drop_table("audit_programme_requirements")
    op.drop_index(op.f("ix_audit_programmes_tenant_id"), table_name="audit_programmes")
    op.drop_table("audit_programmes")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
