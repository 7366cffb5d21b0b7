"""reviews

Revision ID: 0014
Revises: 0013

Management reviews with the programs they serve, their attendees, their assembled inputs
(a snapshot in JSONB) and their outputs (planning actions), every table under row-level
security.
Create Date: 2026-12-06 19:57:28.272409
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "management_reviews",
    "management_review_programs",
    "management_review_attendees",
    "management_review_inputs",
    "management_review_outputs",
)
ENUMS = ("review_status", "review_input_kind", "review_output_kind")


def upgrade() -> None:
    op.create_table(
        "management_reviews",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("chair_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status", sa.Enum("planned", "held", "signed", name="review_status"), nullable=False
        ),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Uuid(), nullable=True),
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
            "planned_on >= period_start", name=op.f("ck_management_reviews_period_before_review")
        ),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["users.id"],
            name=op.f("fk_management_reviews_chair_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["users.id"],
            name=op.f("fk_management_reviews_signed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_management_reviews_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_reviews")),
    )
    op.create_index(
        op.f("ix_management_reviews_tenant_id"), "management_reviews", ["tenant_id"], unique=False
    )
    op.create_table(
        "management_review_attendees",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("external_name", sa.String(length=300), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (external_name = '')",
            name=op.f("ck_management_review_attendees_member_or_named"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["management_reviews.id"],
            name=op.f("fk_management_review_attendees_review_id_management_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_management_review_attendees_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_management_review_attendees_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_review_attendees")),
    )
    op.create_index(
        op.f("ix_management_review_attendees_review_id"),
        "management_review_attendees",
        ["review_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_management_review_attendees_tenant_id"),
        "management_review_attendees",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "management_review_inputs",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "previous_actions",
                "nonconformities",
                "audit_results",
                "objectives",
                "improvement_opportunities",
                "issues",
                "interested_parties",
                "resources",
                "risks_and_opportunities",
                "customer_satisfaction",
                "external_providers",
                "compliance_obligations",
                "significant_aspects",
                "communications",
                "incidents",
                "worker_consultation",
                "legal_compliance",
                "risk_treatment",
                "security_feedback",
                name="review_input_kind",
            ),
            nullable=False,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("standard", sa.String(length=40), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("links", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["management_reviews.id"],
            name=op.f("fk_management_review_inputs_review_id_management_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_management_review_inputs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_review_inputs")),
        sa.UniqueConstraint("review_id", "kind", name="uq_management_review_inputs"),
    )
    op.create_index(
        op.f("ix_management_review_inputs_review_id"),
        "management_review_inputs",
        ["review_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_management_review_inputs_tenant_id"),
        "management_review_inputs",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "management_review_programs",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_management_review_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["management_reviews.id"],
            name=op.f("fk_management_review_programs_review_id_management_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_management_review_programs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_review_programs")),
        sa.UniqueConstraint("review_id", "program_id", name="uq_management_review_programs"),
    )
    op.create_index(
        op.f("ix_management_review_programs_program_id"),
        "management_review_programs",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_management_review_programs_review_id"),
        "management_review_programs",
        ["review_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_management_review_programs_tenant_id"),
        "management_review_programs",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "management_review_outputs",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("decision", "improvement", "change", "resources", name="review_output_kind"),
            nullable=False,
        ),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_management_review_outputs_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["management_reviews.id"],
            name=op.f("fk_management_review_outputs_review_id_management_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_management_review_outputs_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_review_outputs")),
        sa.UniqueConstraint("action_id", name="uq_management_review_outputs_action"),
    )
    op.create_index(
        op.f("ix_management_review_outputs_review_id"),
        "management_review_outputs",
        ["review_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_management_review_outputs_tenant_id"),
        "management_review_outputs",
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
    op.drop_index(
        op.f("ix_management_review_outputs_tenant_id"), table_name="management_review_outputs"
    )
    op.drop_index(
        op.f("ix_management_review_outputs_review_id"), table_name="management_review_outputs"
    )
    op.drop_table("management_review_outputs")
    op.drop_index(
        op.f("ix_management_review_programs_tenant_id"), table_name="management_review_programs"
    )
    op.drop_index(
        op.f("ix_management_review_programs_review_id"), table_name="management_review_programs"
    )
    op.drop_index(
        op.f("ix_management_review_programs_program_id"), table_name="management_review_programs"
    )
    op.drop_table("management_review_programs")
    op.drop_index(
        op.f("ix_management_review_inputs_tenant_id"), table_name="management_review_inputs"
    )
    op.drop_index(
        op.f("ix_management_review_inputs_review_id"), table_name="management_review_inputs"
    )
    op.drop_table("management_review_inputs")
    op.drop_index(
        op.f("ix_management_review_attendees_tenant_id"), table_name="management_review_attendees"
    )
    op.drop_index(
        op.f("ix_management_review_attendees_review_id"), table_name="management_review_attendees"
    )
    op.drop_table("management_review_attendees")
    op.drop_index(op.f("ix_management_reviews_tenant_id"), table_name="management_reviews")
    op.drop_table("management_reviews")
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
