"""evidence documents training

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:11:00.863091

Evidence items with immutable file versions, links and downloads; controlled documents with
versions and the requirements they serve; training sessions, attendance and competences.
Every table belongs to a tenant and is under row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "evidence_items",
    "evidence_versions",
    "evidence_links",
    "evidence_downloads",
    "controlled_documents",
    "document_versions",
    "document_requirements",
    "training_sessions",
    "training_session_clauses",
    "training_attendance",
    "competence_requirements",
)
ENUMS = (
    "evidence_kind",
    "evidence_version_status",
    "document_type",
    "document_status",
    "training_type",
    "training_session_status",
)


def upgrade() -> None:
    op.create_table(
        "controlled_documents",
        sa.Column(
            "type",
            sa.Enum(
                "policy",
                "procedure",
                "work_instruction",
                "record",
                "manual",
                "form",
                name="document_type",
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("review_interval_days", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "in_review", "approved", "obsolete", name="document_status"),
            nullable=False,
        ),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_controlled_documents_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_controlled_documents_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_controlled_documents")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_controlled_documents_code"),
    )
    op.create_index(
        op.f("ix_controlled_documents_tenant_id"),
        "controlled_documents",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_items",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "document",
                "record",
                "screenshot",
                "log_export",
                "certificate",
                "photo",
                "other",
                name="evidence_kind",
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("review_interval_days", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_evidence_items_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_items_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
    )
    op.create_index(
        op.f("ix_evidence_items_tenant_id"), "evidence_items", ["tenant_id"], unique=False
    )
    op.create_table(
        "competence_requirements",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("job_role", sa.String(length=120), nullable=False),
        sa.Column("competence", sa.Text(), nullable=False),
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
            name=op.f("fk_competence_requirements_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_competence_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_requirements")),
    )
    op.create_index(
        op.f("ix_competence_requirements_program_id"),
        "competence_requirements",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_competence_requirements_tenant_id"),
        "competence_requirements",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "document_requirements",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_document_requirements_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["controlled_documents.id"],
            name=op.f("fk_document_requirements_document_id_controlled_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_document_requirements_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_document_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_requirements")),
        sa.UniqueConstraint(
            "document_id", "program_id", "clause_id", name="uq_document_requirements_link"
        ),
    )
    op.create_index(
        op.f("ix_document_requirements_clause_id"),
        "document_requirements",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_document_requirements_document_id"),
        "document_requirements",
        ["document_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_document_requirements_program_id"),
        "document_requirements",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_document_requirements_tenant_id"),
        "document_requirements",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_versions",
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "available", "rejected", name="evidence_version_status"),
            nullable=False,
        ),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_evidence_versions_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_versions_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_versions_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_evidence_versions_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_versions")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_versions_storage_key")),
    )
    op.create_index(
        op.f("ix_evidence_versions_evidence_id"), "evidence_versions", ["evidence_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_versions_tenant_id"), "evidence_versions", ["tenant_id"], unique=False
    )
    op.create_table(
        "training_sessions",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum("workshop", "seminar", "on_the_job", "e_learning", name="training_type"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("trainer", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("planned", "held", "cancelled", name="training_session_status"),
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
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_training_sessions_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_training_sessions_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_index(
        op.f("ix_training_sessions_program_id"), "training_sessions", ["program_id"], unique=False
    )
    op.create_index(
        op.f("ix_training_sessions_tenant_id"), "training_sessions", ["tenant_id"], unique=False
    )
    op.create_table(
        "document_versions",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("evidence_version_id", sa.Uuid(), nullable=True),
        sa.Column("change_summary", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("approver_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["users.id"],
            name=op.f("fk_document_versions_approver_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_document_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["controlled_documents.id"],
            name=op.f("fk_document_versions_document_id_controlled_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_version_id"],
            ["evidence_versions.id"],
            name=op.f("fk_document_versions_evidence_version_id_evidence_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_document_versions_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint("document_id", "number", name="uq_document_versions_number"),
    )
    op.create_index(
        op.f("ix_document_versions_document_id"), "document_versions", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_document_versions_tenant_id"), "document_versions", ["tenant_id"], unique=False
    )
    op.create_table(
        "evidence_downloads",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "downloaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_downloads_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_evidence_downloads_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["evidence_versions.id"],
            name=op.f("fk_evidence_downloads_version_id_evidence_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_downloads")),
    )
    op.create_index(
        op.f("ix_evidence_downloads_tenant_id"), "evidence_downloads", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_downloads_version_id"), "evidence_downloads", ["version_id"], unique=False
    )
    op.create_table(
        "training_attendance",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("person_name", sa.String(length=200), nullable=True),
        sa.Column("job_role", sa.String(length=120), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("certificate_evidence_id", sa.Uuid(), nullable=True),
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
            "(user_id IS NOT NULL) <> (person_name IS NOT NULL)",
            name=op.f("ck_training_attendance_member_or_named"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_training_attendance_certificate_evidence_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendance_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_training_attendance_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_attendance_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
        sa.UniqueConstraint(
            "session_id",
            "user_id",
            "person_name",
            name="uq_training_attendance_person",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_training_attendance_session_id"),
        "training_attendance",
        ["session_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_attendance_tenant_id"), "training_attendance", ["tenant_id"], unique=False
    )
    op.create_table(
        "training_session_clauses",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clauses.id"],
            name=op.f("fk_training_session_clauses_clause_id_clauses"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_session_clauses_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_training_session_clauses_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_session_clauses")),
        sa.UniqueConstraint("session_id", "clause_id", name="uq_training_session_clauses_link"),
    )
    op.create_index(
        op.f("ix_training_session_clauses_clause_id"),
        "training_session_clauses",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_session_clauses_session_id"),
        "training_session_clauses",
        ["session_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_training_session_clauses_tenant_id"),
        "training_session_clauses",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_links",
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=True),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("action_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(clause_id IS NOT NULL)::int + (step_id IS NOT NULL)::int + (action_id IS NOT NULL)::int = 1",
            name=op.f("ck_evidence_links_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_evidence_links_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_evidence_links_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_links_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_evidence_links_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["program_steps.id"],
            name=op.f("fk_evidence_links_step_id_program_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_links_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_links")),
    )
    op.create_index(
        op.f("ix_evidence_links_clause_id"), "evidence_links", ["clause_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_links_evidence_id"), "evidence_links", ["evidence_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_links_program_id"), "evidence_links", ["program_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_links_tenant_id"), "evidence_links", ["tenant_id"], unique=False
    )
    op.create_index(
        "uq_evidence_links_target",
        "evidence_links",
        ["evidence_id", "program_id", "clause_id", "step_id", "action_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )

    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(
        "uq_evidence_links_target", table_name="evidence_links", postgresql_nulls_not_distinct=True
    )
    op.drop_index(op.f("ix_evidence_links_tenant_id"), table_name="evidence_links")
    op.drop_index(op.f("ix_evidence_links_program_id"), table_name="evidence_links")
    op.drop_index(op.f("ix_evidence_links_evidence_id"), table_name="evidence_links")
    op.drop_index(op.f("ix_evidence_links_clause_id"), table_name="evidence_links")
    op.drop_table("evidence_links")
    op.drop_index(
        op.f("ix_training_session_clauses_tenant_id"), table_name="training_session_clauses"
    )
    op.drop_index(
        op.f("ix_training_session_clauses_session_id"), table_name="training_session_clauses"
    )
    op.drop_index(
        op.f("ix_training_session_clauses_clause_id"), table_name="training_session_clauses"
    )
    op.drop_table("training_session_clauses")
    op.drop_index(op.f("ix_training_attendance_tenant_id"), table_name="training_attendance")
    op.drop_index(op.f("ix_training_attendance_session_id"), table_name="training_attendance")
    op.drop_table("training_attendance")
    op.drop_index(op.f("ix_evidence_downloads_version_id"), table_name="evidence_downloads")
    op.drop_index(op.f("ix_evidence_downloads_tenant_id"), table_name="evidence_downloads")
    op.drop_table("evidence_downloads")
    op.drop_index(op.f("ix_document_versions_tenant_id"), table_name="document_versions")
    op.drop_index(op.f("ix_document_versions_document_id"), table_name="document_versions")
    op.drop_table("document_versions")
    op.drop_index(op.f("ix_training_sessions_tenant_id"), table_name="training_sessions")
    op.drop_index(op.f("ix_training_sessions_program_id"), table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_index(op.f("ix_evidence_versions_tenant_id"), table_name="evidence_versions")
    op.drop_index(op.f("ix_evidence_versions_evidence_id"), table_name="evidence_versions")
    op.drop_table("evidence_versions")
    op.drop_index(op.f("ix_document_requirements_tenant_id"), table_name="document_requirements")
    op.drop_index(op.f("ix_document_requirements_program_id"), table_name="document_requirements")
    op.drop_index(op.f("ix_document_requirements_document_id"), table_name="document_requirements")
    op.drop_index(op.f("ix_document_requirements_clause_id"), table_name="document_requirements")
    op.drop_table("document_requirements")
    op.drop_index(
        op.f("ix_competence_requirements_tenant_id"), table_name="competence_requirements"
    )
    op.drop_index(
        op.f("ix_competence_requirements_program_id"), table_name="competence_requirements"
    )
    op.drop_table("competence_requirements")
    op.drop_index(op.f("ix_evidence_items_tenant_id"), table_name="evidence_items")
    op.drop_table("evidence_items")
    op.drop_index(op.f("ix_controlled_documents_tenant_id"), table_name="controlled_documents")
    op.drop_table("controlled_documents")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
