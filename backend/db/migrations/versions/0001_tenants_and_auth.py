"""tenants and auth

Revision ID: 0001
Revises:
Create Date: 2026-11-29 20:53:28.412107

Organizations, users, memberships, engagements and auditor grants, with row-level
security on every tenant-owned table; refresh tokens and login failures for auth.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import (
    CURRENT_USER_ID,
    drop_tenant_policies,
    own_membership_tenants,
    tenant_policies,
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> the extra rows its SELECT policy admits before a principal's tenants are known.
RLS_TABLES: dict[str, str | None] = {
    # Certification bodies are a directory any signed-in user may look up to grant access.
    "organizations": f"kind = 'certification_body' AND {CURRENT_USER_ID} IS NOT NULL",
    "memberships": f"user_id = {CURRENT_USER_ID}",
    "consultancy_engagements": f"consultancy_id IN ({own_membership_tenants()})",
    "auditor_grants": f"certification_body_id IN ({own_membership_tenants()})",
}


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_address_at",
        "login_failures",
        ["client_address", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_login_failures_email_at",
        "login_failures",
        ["email", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "organizations",
        sa.Column("tenant_id", sa.Uuid(), sa.Computed("id", persisted=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("client", "consultancy", "certification_body", name="organization_kind"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(
        "uq_users_email_lower",
        "users",
        [sa.literal_column("lower(email)")],
        unique=True,
    )
    op.create_table(
        "auditor_grants",
        sa.Column("certification_body_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_by_id", sa.Uuid(), nullable=True),
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
            "certification_body_id <> tenant_id",
            name=op.f("ck_auditor_grants_not_self"),
        ),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_auditor_grants_valid_window")),
        sa.ForeignKeyConstraint(
            ["certification_body_id"],
            ["organizations.id"],
            name=op.f("fk_auditor_grants_certification_body_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_auditor_grants_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_auditor_grants_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditor_grants")),
    )
    op.create_index(
        op.f("ix_auditor_grants_certification_body_id"),
        "auditor_grants",
        ["certification_body_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_auditor_grants_tenant_id"),
        "auditor_grants",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "consultancy_engagements",
        sa.Column("consultancy_id", sa.Uuid(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
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
            "consultancy_id <> tenant_id",
            name=op.f("ck_consultancy_engagements_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["consultancy_id"],
            ["organizations.id"],
            name=op.f("fk_consultancy_engagements_consultancy_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_consultancy_engagements_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultancy_engagements")),
    )
    op.create_index(
        op.f("ix_consultancy_engagements_consultancy_id"),
        "consultancy_engagements",
        ["consultancy_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_consultancy_engagements_tenant_id"),
        "consultancy_engagements",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        "uq_consultancy_engagements_open",
        "consultancy_engagements",
        ["tenant_id", "consultancy_id"],
        unique=True,
        postgresql_where="ended_at IS NULL",
    )
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "admin",
                "manager",
                "contributor",
                "viewer",
                name="membership_role",
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
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_memberships_tenant_user"),
    )
    op.create_index(op.f("ix_memberships_tenant_id"), "memberships", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"),
        "refresh_tokens",
        ["family_id"],
        unique=False,
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)

    for table, extra_read in RLS_TABLES.items():
        for statement in tenant_policies(table, extra_read):
            op.execute(statement)


def downgrade() -> None:
    for table in RLS_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_index(op.f("ix_memberships_tenant_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(
        "uq_consultancy_engagements_open",
        table_name="consultancy_engagements",
        postgresql_where="ended_at IS NULL",
    )
    op.drop_index(
        op.f("ix_consultancy_engagements_tenant_id"),
        table_name="consultancy_engagements",
    )
    op.drop_index(
        op.f("ix_consultancy_engagements_consultancy_id"),
        table_name="consultancy_engagements",
    )
    op.drop_table("consultancy_engagements")
    op.drop_index(op.f("ix_auditor_grants_tenant_id"), table_name="auditor_grants")
    op.drop_index(op.f("ix_auditor_grants_certification_body_id"), table_name="auditor_grants")
    op.drop_table("auditor_grants")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
    op.drop_table("organizations")
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_table("login_failures")
    sa.Enum(name="membership_role").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="organization_kind").drop(op.get_bind(), checkfirst=True)
