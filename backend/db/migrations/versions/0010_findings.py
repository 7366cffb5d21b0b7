"""findings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:40:09.589194

Findings with the requirements they concern, their corrective actions (planning actions, by
round), effectiveness reviews (decided once, enforced by the database) and the evidence
attached to findings and reviews, each under row-level security; and the organization's
operation period before the implementation step may close.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.db.append_only import Decision, append_only, drop_append_only
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "findings",
    "finding_requirements",
    "corrective_actions",
    "effectiveness_reviews",
    "finding_evidence",
    "effectiveness_review_evidence",
)
ENUMS = (
    "finding_type",
    "finding_source",
    "finding_status",
    "root_cause_method",
    "effectiveness_verdict",
)
# A review is planned pending and decided once: the verdict with its day, decider and notes.
VERDICT = Decision("verdict", "pending", ("verdict", "reviewed_on", "reviewed_by_id", "notes"))


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "major_nonconformity",
                "minor_nonconformity",
                "observation",
                "opportunity_for_improvement",
                name="finding_type",
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "internal_audit",
                "certification_audit",
                "management_review",
                "incident",
                "complaint",
                "self_identified",
                name="finding_source",
            ),
            nullable=False,
        ),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("objective_evidence", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "corrected",
                "analysed",
                "action_planned",
                "implemented",
                "reopened",
                "verified",
                "closed",
                name="finding_status",
            ),
            nullable=False,
        ),
        sa.Column("raised_by_id", sa.Uuid(), nullable=True),
        sa.Column("correction", sa.Text(), nullable=False),
        sa.Column("corrected_on", sa.Date(), nullable=True),
        sa.Column(
            "root_cause_method",
            sa.Enum("five_whys", "fishbone", "other", name="root_cause_method"),
            nullable=True,
        ),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("implemented_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Uuid(), nullable=True),
        sa.Column("closure_note", sa.Text(), nullable=False),
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
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_findings_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_findings_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["users.id"],
            name=op.f("fk_findings_raised_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_findings_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_findings_reference"),
    )
    op.create_index(op.f("ix_findings_tenant_id"), "findings", ["tenant_id"], unique=False)
    op.create_table(
        "effectiveness_reviews",
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "verdict",
            sa.Enum("pending", "effective", "not_effective", name="effectiveness_verdict"),
            nullable=False,
        ),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_effectiveness_reviews_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_effectiveness_reviews_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_effectiveness_reviews_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_effectiveness_reviews_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effectiveness_reviews")),
        sa.UniqueConstraint("finding_id", "round", name="uq_effectiveness_reviews_round"),
    )
    op.create_index(
        op.f("ix_effectiveness_reviews_finding_id"),
        "effectiveness_reviews",
        ["finding_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_effectiveness_reviews_tenant_id"),
        "effectiveness_reviews",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "finding_evidence",
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_finding_evidence_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_evidence_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_finding_evidence_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_evidence")),
        sa.UniqueConstraint("finding_id", "evidence_id", name="uq_finding_evidence_link"),
    )
    op.create_index(
        op.f("ix_finding_evidence_evidence_id"), "finding_evidence", ["evidence_id"], unique=False
    )
    op.create_index(
        op.f("ix_finding_evidence_finding_id"), "finding_evidence", ["finding_id"], unique=False
    )
    op.create_index(
        op.f("ix_finding_evidence_tenant_id"), "finding_evidence", ["tenant_id"], unique=False
    )
    op.create_table(
        "finding_requirements",
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("clause_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["clauses.id"], name=op.f("fk_finding_requirements_clause_id_clauses")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_requirements_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_finding_requirements_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_finding_requirements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_requirements")),
        sa.UniqueConstraint(
            "finding_id", "program_id", "clause_id", name="uq_finding_requirements_link"
        ),
    )
    op.create_index(
        op.f("ix_finding_requirements_clause_id"),
        "finding_requirements",
        ["clause_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_finding_requirements_finding_id"),
        "finding_requirements",
        ["finding_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_finding_requirements_program_id"),
        "finding_requirements",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_finding_requirements_tenant_id"),
        "finding_requirements",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "effectiveness_review_evidence",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_items.id"],
            name=op.f("fk_effectiveness_review_evidence_evidence_id_evidence_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["effectiveness_reviews.id"],
            name=op.f("fk_effectiveness_review_evidence_review_id_effectiveness_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_effectiveness_review_evidence_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effectiveness_review_evidence")),
        sa.UniqueConstraint(
            "review_id", "evidence_id", name="uq_effectiveness_review_evidence_link"
        ),
    )
    op.create_index(
        op.f("ix_effectiveness_review_evidence_evidence_id"),
        "effectiveness_review_evidence",
        ["evidence_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_effectiveness_review_evidence_review_id"),
        "effectiveness_review_evidence",
        ["review_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_effectiveness_review_evidence_tenant_id"),
        "effectiveness_review_evidence",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "corrective_actions",
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_corrective_actions_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_corrective_actions_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_corrective_actions_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
        sa.UniqueConstraint("action_id", name="uq_corrective_actions_action"),
    )
    op.create_index(
        op.f("ix_corrective_actions_finding_id"), "corrective_actions", ["finding_id"], unique=False
    )
    op.create_index(
        op.f("ix_corrective_actions_tenant_id"), "corrective_actions", ["tenant_id"], unique=False
    )
    op.add_column(
        "organizations",
        sa.Column("operation_period_days", sa.Integer(), server_default="90", nullable=False),
    )
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in append_only("effectiveness_reviews", VERDICT):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only("effectiveness_reviews"):
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_column("organizations", "operation_period_days")
    op.drop_index(op.f("ix_corrective_actions_tenant_id"), table_name="corrective_actions")
    op.drop_index(op.f("ix_corrective_actions_finding_id"), table_name="corrective_actions")
    op.drop_table("corrective_actions")
    op.drop_index(
        op.f("ix_effectiveness_review_evidence_tenant_id"),
        table_name="effectiveness_review_evidence",
    )
    op.drop_index(
        op.f("ix_effectiveness_review_evidence_review_id"),
        table_name="effectiveness_review_evidence",
    )
    op.drop_index(
        op.f("ix_effectiveness_review_evidence_evidence_id"),
        table_name="effectiveness_review_evidence",
    )
    op.drop_table("effectiveness_review_evidence")
    op.drop_index(op.f("ix_finding_requirements_tenant_id"), table_name="finding_requirements")
    op.drop_index(op.f("ix_finding_requirements_program_id"), table_name="finding_requirements")
    op.drop_index(op.f("ix_finding_requirements_finding_id"), table_name="finding_requirements")
    op.drop_index(op.f("ix_finding_requirements_clause_id"), table_name="finding_requirements")
    op.drop_table("finding_requirements")
    op.drop_index(op.f("ix_finding_evidence_tenant_id"), table_name="finding_evidence")
    op.drop_index(op.f("ix_finding_evidence_finding_id"), table_name="finding_evidence")
    op.drop_index(op.f("ix_finding_evidence_evidence_id"), table_name="finding_evidence")
    op.drop_table("finding_evidence")
    op.drop_index(op.f("ix_effectiveness_reviews_tenant_id"), table_name="effectiveness_reviews")
    op.drop_index(op.f("ix_effectiveness_reviews_finding_id"), table_name="effectiveness_reviews")
    op.drop_table("effectiveness_reviews")
    op.drop_index(op.f("ix_findings_tenant_id"), table_name="findings")
    op.drop_table("findings")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
