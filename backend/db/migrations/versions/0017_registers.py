"""registers

Revision ID: 0017
Revises: 0016

The registers planning rests on (risks and opportunities, security risks, environmental
aspects, OH&S hazards, compliance obligations, incidents) and the improvement register, in
one table of entries with their history, links, controls, relations, findings and the
tenant's scales, every table under row-level security.
Create Date: 2026-12-06 21:24:19.906386
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "register_settings",
    "register_entries",
    "register_entry_changes",
    "register_entry_findings",
    "register_entry_links",
    "register_entry_relations",
    "register_hazard_controls",
    "register_risk_controls",
)
ENUMS = (
    "register_kind",
    "risk_nature",
    "risk_treatment",
    "aspect_condition",
    "evaluation_result",
    "incident_kind",
    "incident_severity",
    "improvement_source",
    "improvement_status",
    "control_level",
)


def upgrade() -> None:
    op.create_table(
        "register_settings",
        sa.Column("likelihood_levels", sa.SmallInteger(), nullable=False),
        sa.Column("impact_levels", sa.SmallInteger(), nullable=False),
        sa.Column("significance_threshold", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "impact_levels BETWEEN 2 AND 10", name=op.f("ck_register_settings_impact_levels")
        ),
        sa.CheckConstraint(
            "likelihood_levels BETWEEN 2 AND 10",
            name=op.f("ck_register_settings_likelihood_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_settings_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_settings")),
        sa.UniqueConstraint("tenant_id", name="uq_register_settings_tenant"),
    )
    op.create_index(
        op.f("ix_register_settings_tenant_id"), "register_settings", ["tenant_id"], unique=False
    )
    op.create_table(
        "register_entries",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "risk",
                "security_risk",
                "aspect",
                "hazard",
                "obligation",
                "incident",
                "improvement",
                name="register_kind",
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_by_id", sa.Uuid(), nullable=True),
        sa.Column("likelihood", sa.SmallInteger(), nullable=True),
        sa.Column("impact", sa.SmallInteger(), nullable=True),
        sa.Column("nature", sa.Enum("risk", "opportunity", name="risk_nature"), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("asset", sa.String(length=300), nullable=False),
        sa.Column("threat", sa.String(length=300), nullable=False),
        sa.Column("vulnerability", sa.String(length=300), nullable=False),
        sa.Column(
            "treatment",
            sa.Enum("modify", "retain", "avoid", "share", name="risk_treatment"),
            nullable=True,
        ),
        sa.Column("residual_likelihood", sa.SmallInteger(), nullable=True),
        sa.Column("residual_impact", sa.SmallInteger(), nullable=True),
        sa.Column("accepted_by_id", sa.Uuid(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity", sa.String(length=300), nullable=False),
        sa.Column("consequence", sa.Text(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum("normal", "abnormal", "emergency", name="aspect_condition"),
            nullable=True,
        ),
        sa.Column("exposed", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("applicability", sa.Text(), nullable=False),
        sa.Column("evaluation_months", sa.SmallInteger(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column(
            "evaluation_result",
            sa.Enum("compliant", "partially_compliant", "not_compliant", name="evaluation_result"),
            nullable=True,
        ),
        sa.Column("evaluation_evidence", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column(
            "incident_kind",
            sa.Enum(
                "injury",
                "ill_health",
                "near_miss",
                "security",
                "environmental",
                name="incident_kind",
            ),
            nullable=True,
        ),
        sa.Column(
            "severity",
            sa.Enum("low", "medium", "high", "critical", name="incident_severity"),
            nullable=True,
        ),
        sa.Column("investigation", sa.Text(), nullable=False),
        sa.Column(
            "improvement_source",
            sa.Enum("audit", "review", "complaint", "suggestion", name="improvement_source"),
            nullable=True,
        ),
        sa.Column(
            "improvement_status",
            sa.Enum(
                "proposed", "approved", "in_progress", "done", "rejected", name="improvement_status"
            ),
            nullable=True,
        ),
        sa.Column(
            "benefit",
            postgresql.ENUM(
                "improved_efficiency",
                "customer_satisfaction",
                "market_access",
                "risk_management",
                "regulatory_compliance",
                name="benefit",
                create_type=False,
            ),
            nullable=True,
        ),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("review_output_id", sa.Uuid(), nullable=True),
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
            "impact BETWEEN 1 AND 10", name=op.f("ck_register_entries_impact_scale")
        ),
        sa.CheckConstraint(
            "likelihood BETWEEN 1 AND 10", name=op.f("ck_register_entries_likelihood_scale")
        ),
        sa.CheckConstraint(
            "residual_impact BETWEEN 1 AND 10",
            name=op.f("ck_register_entries_residual_impact_scale"),
        ),
        sa.CheckConstraint(
            "residual_likelihood BETWEEN 1 AND 10",
            name=op.f("ck_register_entries_residual_likelihood_scale"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_register_entries_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["archived_by_id"],
            ["users.id"],
            name=op.f("fk_register_entries_archived_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_register_entries_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_register_entries_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_output_id"],
            ["management_review_outputs.id"],
            name=op.f("fk_register_entries_review_output_id_management_review_outputs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_entries_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
        sa.UniqueConstraint("review_output_id", name="uq_register_entries_review_output"),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_register_entries_reference"),
    )
    op.create_index(
        op.f("ix_register_entries_program_id"), "register_entries", ["program_id"], unique=False
    )
    op.create_index(
        op.f("ix_register_entries_tenant_id"), "register_entries", ["tenant_id"], unique=False
    )
    op.create_table(
        "register_entry_changes",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_register_entry_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_entry_changes_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_entry_changes_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry_changes")),
    )
    op.create_index(
        op.f("ix_register_entry_changes_entry_id"),
        "register_entry_changes",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_changes_tenant_id"),
        "register_entry_changes",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "register_entry_findings",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_entry_findings_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_register_entry_findings_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_entry_findings_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry_findings")),
        sa.UniqueConstraint("entry_id", "finding_id", name="uq_register_entry_findings_pair"),
    )
    op.create_index(
        op.f("ix_register_entry_findings_entry_id"),
        "register_entry_findings",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_findings_finding_id"),
        "register_entry_findings",
        ["finding_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_findings_tenant_id"),
        "register_entry_findings",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "register_entry_links",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("objective_id", sa.Uuid(), nullable=True),
        sa.Column("action_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(objective_id IS NULL) <> (action_id IS NULL)",
            name=op.f("ck_register_entry_links_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_register_entry_links_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_entry_links_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objectives.id"],
            name=op.f("fk_register_entry_links_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_entry_links_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry_links")),
        sa.UniqueConstraint("entry_id", "action_id", name="uq_register_entry_links_action"),
        sa.UniqueConstraint("entry_id", "objective_id", name="uq_register_entry_links_objective"),
    )
    op.create_index(
        op.f("ix_register_entry_links_action_id"),
        "register_entry_links",
        ["action_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_links_entry_id"), "register_entry_links", ["entry_id"], unique=False
    )
    op.create_index(
        op.f("ix_register_entry_links_objective_id"),
        "register_entry_links",
        ["objective_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_links_tenant_id"),
        "register_entry_links",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "register_entry_relations",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("related_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "entry_id <> related_id", name=op.f("ck_register_entry_relations_not_itself")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_entry_relations_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["register_entries.id"],
            name=op.f("fk_register_entry_relations_related_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_entry_relations_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry_relations")),
        sa.UniqueConstraint("entry_id", "related_id", name="uq_register_entry_relations_pair"),
    )
    op.create_index(
        op.f("ix_register_entry_relations_entry_id"),
        "register_entry_relations",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_relations_related_id"),
        "register_entry_relations",
        ["related_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_entry_relations_tenant_id"),
        "register_entry_relations",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "register_hazard_controls",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "elimination",
                "substitution",
                "engineering",
                "administrative",
                "ppe",
                name="control_level",
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_hazard_controls_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_hazard_controls_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_hazard_controls")),
    )
    op.create_index(
        op.f("ix_register_hazard_controls_entry_id"),
        "register_hazard_controls",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_hazard_controls_tenant_id"),
        "register_hazard_controls",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "register_risk_controls",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_register_risk_controls_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_risk_controls_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_register_risk_controls_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_risk_controls")),
        sa.UniqueConstraint("entry_id", "clause_id", name="uq_register_risk_controls_link"),
    )
    op.create_index(
        op.f("ix_register_risk_controls_clause_id"),
        "register_risk_controls",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_risk_controls_entry_id"),
        "register_risk_controls",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_register_risk_controls_tenant_id"),
        "register_risk_controls",
        ["tenant_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_register_risk_controls_tenant_id"), table_name="register_risk_controls")
    op.drop_index(op.f("ix_register_risk_controls_entry_id"), table_name="register_risk_controls")
    op.drop_index(op.f("ix_register_risk_controls_clause_id"), table_name="register_risk_controls")
    op.drop_table("register_risk_controls")
    op.drop_index(
        op.f("ix_register_hazard_controls_tenant_id"), table_name="register_hazard_controls"
    )
    op.drop_index(
        op.f("ix_register_hazard_controls_entry_id"), table_name="register_hazard_controls"
    )
    op.drop_table("register_hazard_controls")
    op.drop_index(
        op.f("ix_register_entry_relations_tenant_id"), table_name="register_entry_relations"
    )
    op.drop_index(
        op.f("ix_register_entry_relations_related_id"), table_name="register_entry_relations"
    )
    op.drop_index(
        op.f("ix_register_entry_relations_entry_id"), table_name="register_entry_relations"
    )
    op.drop_table("register_entry_relations")
    op.drop_index(op.f("ix_register_entry_links_tenant_id"), table_name="register_entry_links")
    op.drop_index(op.f("ix_register_entry_links_objective_id"), table_name="register_entry_links")
    op.drop_index(op.f("ix_register_entry_links_entry_id"), table_name="register_entry_links")
    op.drop_index(op.f("ix_register_entry_links_action_id"), table_name="register_entry_links")
    op.drop_table("register_entry_links")
    op.drop_index(
        op.f("ix_register_entry_findings_tenant_id"), table_name="register_entry_findings"
    )
    op.drop_index(
        op.f("ix_register_entry_findings_finding_id"), table_name="register_entry_findings"
    )
    op.drop_index(op.f("ix_register_entry_findings_entry_id"), table_name="register_entry_findings")
    op.drop_table("register_entry_findings")
    op.drop_index(op.f("ix_register_entry_changes_tenant_id"), table_name="register_entry_changes")
    op.drop_index(op.f("ix_register_entry_changes_entry_id"), table_name="register_entry_changes")
    op.drop_table("register_entry_changes")
    op.drop_index(op.f("ix_register_entries_tenant_id"), table_name="register_entries")
    op.drop_index(op.f("ix_register_entries_program_id"), table_name="register_entries")
    op.drop_table("register_entries")
    op.drop_index(op.f("ix_register_settings_tenant_id"), table_name="register_settings")
    op.drop_table("register_settings")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
