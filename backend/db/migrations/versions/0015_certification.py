"""certification

Revision ID: 0015
Revises: 0014

Certification audits with the programs they cover and the findings the body raised,
certificates (one per cycle) with the programs they cover and their history (append-only),
and a body's own rule numbers per client, every table under row-level security.
Create Date: 2026-12-06 21:25:32.045348
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.db.append_only import append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "certification_audits",
    "certification_audit_programs",
    "certification_audit_findings",
    "certificates",
    "certificate_programs",
    "certificate_events",
    "certification_body_rules",
)
ENUMS = (
    "certification_audit_kind",
    "certification_audit_status",
    "certification_audit_outcome",
    "certificate_state",
)


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("certification_body_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("cycle_number", sa.SmallInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "suspended", "withdrawn", "expired", name="certificate_state"),
            nullable=False,
        ),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
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
            "expires_on > decision_on", name=op.f("ck_certificates_expires_after_decision")
        ),
        sa.ForeignKeyConstraint(
            ["certification_body_id"],
            ["organizations.id"],
            name=op.f("fk_certificates_certification_body_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_previous_id_certificates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certificates_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("previous_id", name="uq_certificates_previous"),
    )
    op.create_index(
        op.f("ix_certificates_certification_body_id"),
        "certificates",
        ["certification_body_id"],
        unique=False,
    )
    op.create_index(op.f("ix_certificates_tenant_id"), "certificates", ["tenant_id"], unique=False)
    op.create_table(
        "certification_body_rules",
        sa.Column("certification_body_id", sa.Uuid(), nullable=False),
        sa.Column("overrides", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
            name=op.f("fk_certification_body_rules_certification_body_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certification_body_rules_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_body_rules")),
        sa.UniqueConstraint(
            "tenant_id", "certification_body_id", name="uq_certification_body_rules"
        ),
    )
    op.create_index(
        op.f("ix_certification_body_rules_tenant_id"),
        "certification_body_rules",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "certificate_events",
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state", postgresql.ENUM(name="certificate_state", create_type=False), nullable=False
        ),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_certificate_events_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_events_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certificate_events_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_events")),
    )
    op.create_index(
        op.f("ix_certificate_events_certificate_id"),
        "certificate_events",
        ["certificate_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certificate_events_tenant_id"), "certificate_events", ["tenant_id"], unique=False
    )
    op.create_table(
        "certificate_programs",
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_programs_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_certificate_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certificate_programs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_programs")),
        sa.UniqueConstraint("certificate_id", "program_id", name="uq_certificate_programs"),
    )
    op.create_index(
        op.f("ix_certificate_programs_certificate_id"),
        "certificate_programs",
        ["certificate_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certificate_programs_program_id"),
        "certificate_programs",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certificate_programs_tenant_id"),
        "certificate_programs",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "certification_audits",
        sa.Column("certification_body_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "stage_1",
                "stage_2",
                "surveillance",
                "recertification",
                "special",
                "transfer",
                name="certification_audit_kind",
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("planned", "held", "cancelled", name="certification_audit_status"),
            nullable=False,
        ),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("audit_days", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("lead_auditor_name", sa.String(length=300), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "ready",
                "not_ready",
                "recommended",
                "not_recommended",
                name="certification_audit_outcome",
            ),
            nullable=True,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("report_evidence_id", sa.Uuid(), nullable=True),
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
            "actual_end >= actual_start", name=op.f("ck_certification_audits_held_in_order")
        ),
        sa.CheckConstraint(
            "status <> 'held' OR (actual_start IS NOT NULL AND actual_end IS NOT NULL)",
            name=op.f("ck_certification_audits_held_dated"),
        ),
        sa.CheckConstraint(
            "planned_end >= planned_start", name=op.f("ck_certification_audits_planned_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["certification_body_id"],
            ["organizations.id"],
            name=op.f("fk_certification_audits_certification_body_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["report_evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_certification_audits_report_evidence_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certification_audits_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_audits")),
    )
    op.create_index(
        op.f("ix_certification_audits_certification_body_id"),
        "certification_audits",
        ["certification_body_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certification_audits_tenant_id"),
        "certification_audits",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "certification_audit_findings",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["certification_audits.id"],
            name=op.f("fk_certification_audit_findings_audit_id_certification_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_certification_audit_findings_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certification_audit_findings_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_audit_findings")),
        sa.UniqueConstraint("finding_id", name="uq_certification_audit_findings_finding"),
    )
    op.create_index(
        op.f("ix_certification_audit_findings_audit_id"),
        "certification_audit_findings",
        ["audit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certification_audit_findings_tenant_id"),
        "certification_audit_findings",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "certification_audit_programs",
        sa.Column("audit_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["certification_audits.id"],
            name=op.f("fk_certification_audit_programs_audit_id_certification_audits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_certification_audit_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_certification_audit_programs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_audit_programs")),
        sa.UniqueConstraint("audit_id", "program_id", name="uq_certification_audit_programs"),
    )
    op.create_index(
        op.f("ix_certification_audit_programs_audit_id"),
        "certification_audit_programs",
        ["audit_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certification_audit_programs_program_id"),
        "certification_audit_programs",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certification_audit_programs_tenant_id"),
        "certification_audit_programs",
        ["tenant_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in append_only("certificate_events"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only("certificate_events"):
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(
        op.f("ix_certification_audit_programs_tenant_id"), table_name="certification_audit_programs"
    )
    op.drop_index(
        op.f("ix_certification_audit_programs_program_id"),
        table_name="certification_audit_programs",
    )
    op.drop_index(
        op.f("ix_certification_audit_programs_audit_id"), table_name="certification_audit_programs"
    )
    op.drop_table("certification_audit_programs")
    op.drop_index(
        op.f("ix_certification_audit_findings_tenant_id"), table_name="certification_audit_findings"
    )
    op.drop_index(
        op.f("ix_certification_audit_findings_audit_id"), table_name="certification_audit_findings"
    )
    op.drop_table("certification_audit_findings")
    op.drop_index(op.f("ix_certification_audits_tenant_id"), table_name="certification_audits")
    op.drop_index(
        op.f("ix_certification_audits_certification_body_id"), table_name="certification_audits"
    )
    op.drop_table("certification_audits")
    op.drop_index(op.f("ix_certificate_programs_tenant_id"), table_name="certificate_programs")
    op.drop_index(op.f("ix_certificate_programs_program_id"), table_name="certificate_programs")
    op.drop_index(op.f("ix_certificate_programs_certificate_id"), table_name="certificate_programs")
    op.drop_table("certificate_programs")
    op.drop_index(op.f("ix_certificate_events_tenant_id"), table_name="certificate_events")
    op.drop_index(op.f("ix_certificate_events_certificate_id"), table_name="certificate_events")
    op.drop_table("certificate_events")
    op.drop_index(
        op.f("ix_certification_body_rules_tenant_id"), table_name="certification_body_rules"
    )
    op.drop_table("certification_body_rules")
    op.drop_index(op.f("ix_certificates_tenant_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_certification_body_id"), table_name="certificates")
    op.drop_table("certificates")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
