"""packages

Revision ID: 0020
Revises: 0019

Auditor evidence packages: the package, the programs and requirements in its scope, the
items written when it is frozen (files referencing evidence versions, which therefore
cannot be erased under them; record snapshots) and its downloads; items and downloads are append-only, every
table under row-level security.
Create Date: 2026-12-06 22:25:13.166507
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db.append_only import append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "evidence_packages",
    "evidence_package_programs",
    "evidence_package_requirements",
    "evidence_package_items",
    "evidence_package_downloads",
)
APPEND_ONLY = ("evidence_package_items", "evidence_package_downloads")
ENUMS = ("evidence_package_status", "evidence_package_item_kind")


def upgrade() -> None:
    op.create_table(
        "evidence_packages",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "frozen", "released", name="evidence_package_status"),
            nullable=False,
        ),
        sa.Column("certification_audit_id", sa.Uuid(), nullable=True),
        sa.Column("grant_id", sa.Uuid(), nullable=True),
        sa.Column("includes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("frozen_by_id", sa.Uuid(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manifest", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
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
            "(status = 'draft') = (manifest_sha256 IS NULL)",
            name=op.f("ck_evidence_packages_manifest_when_frozen"),
        ),
        sa.ForeignKeyConstraint(
            ["certification_audit_id"],
            ["certification_audits.id"],
            name=op.f("fk_evidence_packages_certification_audit_id_certification_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evidence_packages_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["frozen_by_id"],
            ["users.id"],
            name=op.f("fk_evidence_packages_frozen_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["auditor_grants.id"],
            name=op.f("fk_evidence_packages_grant_id_auditor_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_packages_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_packages")),
    )
    op.create_index(
        op.f("ix_evidence_packages_certification_audit_id"),
        "evidence_packages",
        ["certification_audit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_packages_grant_id"), "evidence_packages", ["grant_id"], unique=False
    )
    op.create_index(
        op.f("ix_evidence_packages_tenant_id"), "evidence_packages", ["tenant_id"], unique=False
    )
    op.create_table(
        "evidence_package_downloads",
        sa.Column("package_id", sa.Uuid(), nullable=False),
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
            ["package_id"],
            ["evidence_packages.id"],
            name=op.f("fk_evidence_package_downloads_package_id_evidence_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_package_downloads_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_evidence_package_downloads_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_package_downloads")),
    )
    op.create_index(
        op.f("ix_evidence_package_downloads_package_id"),
        "evidence_package_downloads",
        ["package_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_downloads_tenant_id"),
        "evidence_package_downloads",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_package_items",
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("file", "record", name="evidence_package_item_kind"), nullable=False
        ),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("record_type", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("evidence_version_id", sa.Uuid(), nullable=True),
        sa.Column("storage_key", sa.String(length=300), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("record", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'file') = (evidence_version_id IS NOT NULL AND record IS NULL)",
            name=op.f("ck_evidence_package_items_file_or_record"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_version_id"],
            ["evidence_versions.id"],
            name=op.f("fk_evidence_package_items_evidence_version_id_evidence_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["evidence_packages.id"],
            name=op.f("fk_evidence_package_items_package_id_evidence_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_package_items_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_package_items")),
    )
    op.create_index(
        op.f("ix_evidence_package_items_evidence_version_id"),
        "evidence_package_items",
        ["evidence_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_items_package_id"),
        "evidence_package_items",
        ["package_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_items_tenant_id"),
        "evidence_package_items",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_package_programs",
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["evidence_packages.id"],
            name=op.f("fk_evidence_package_programs_package_id_evidence_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_evidence_package_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_package_programs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_package_programs")),
    )
    op.create_index(
        op.f("ix_evidence_package_programs_package_id"),
        "evidence_package_programs",
        ["package_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_programs_program_id"),
        "evidence_package_programs",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_programs_tenant_id"),
        "evidence_package_programs",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "evidence_package_requirements",
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clauses.id"],
            name=op.f("fk_evidence_package_requirements_clause_id_clauses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["evidence_packages.id"],
            name=op.f("fk_evidence_package_requirements_package_id_evidence_packages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_evidence_package_requirements_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_package_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_package_requirements")),
    )
    op.create_index(
        op.f("ix_evidence_package_requirements_package_id"),
        "evidence_package_requirements",
        ["package_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evidence_package_requirements_tenant_id"),
        "evidence_package_requirements",
        ["tenant_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for table in APPEND_ONLY:
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    for table in APPEND_ONLY:
        for statement in drop_append_only(table):
            op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(
        op.f("ix_evidence_package_requirements_tenant_id"),
        table_name="evidence_package_requirements",
    )
    op.drop_index(
        op.f("ix_evidence_package_requirements_package_id"),
        table_name="evidence_package_requirements",
    )
    op.drop_table("evidence_package_requirements")
    op.drop_index(
        op.f("ix_evidence_package_programs_tenant_id"), table_name="evidence_package_programs"
    )
    op.drop_index(
        op.f("ix_evidence_package_programs_program_id"), table_name="evidence_package_programs"
    )
    op.drop_index(
        op.f("ix_evidence_package_programs_package_id"), table_name="evidence_package_programs"
    )
    op.drop_table("evidence_package_programs")
    op.drop_index(op.f("ix_evidence_package_items_tenant_id"), table_name="evidence_package_items")
    op.drop_index(op.f("ix_evidence_package_items_package_id"), table_name="evidence_package_items")
    op.drop_index(
        op.f("ix_evidence_package_items_evidence_version_id"), table_name="evidence_package_items"
    )
    op.drop_table("evidence_package_items")
    op.drop_index(
        op.f("ix_evidence_package_downloads_tenant_id"), table_name="evidence_package_downloads"
    )
    op.drop_index(
        op.f("ix_evidence_package_downloads_package_id"), table_name="evidence_package_downloads"
    )
    op.drop_table("evidence_package_downloads")
    op.drop_index(op.f("ix_evidence_packages_tenant_id"), table_name="evidence_packages")
    op.drop_index(op.f("ix_evidence_packages_grant_id"), table_name="evidence_packages")
    op.drop_index(
        op.f("ix_evidence_packages_certification_audit_id"), table_name="evidence_packages"
    )
    op.drop_table("evidence_packages")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
