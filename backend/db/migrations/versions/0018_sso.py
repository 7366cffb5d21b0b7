"""single sign-on

Revision ID: 0018
Revises: 0017

An organization's OpenID Connect provider and the sign-ins started at it (both tenant
tables under row-level security), the issuer and subject that link an account made by
single sign-on, and the two owner functions a sign-in starts from (`backend/auth/rls.py`).
The new `users` columns are granted to the app role by `certready migrate`, which grants
every column of `users` but the password hash.
Create Date: 2026-12-06 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.auth.rls import CREATE_SSO_FUNCTIONS, DROP_SSO_FUNCTIONS
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("identity_providers", "sso_logins")
MEMBERSHIP_ROLE = postgresql.ENUM(name="membership_role", create_type=False)


def upgrade() -> None:
    op.add_column("users", sa.Column("identity_issuer", sa.String(length=500), nullable=True))
    op.add_column("users", sa.Column("identity_subject", sa.String(length=255), nullable=True))
    op.create_unique_constraint(
        "uq_users_identity", "users", ["identity_issuer", "identity_subject"]
    )
    op.create_check_constraint(
        op.f("ck_users_identity_pair"),
        "users",
        "(identity_issuer IS NULL) = (identity_subject IS NULL)",
    )
    _create_identity_providers()
    _create_sso_logins()
    for table in TENANT_TABLES:
        for statement in tenant_policies(table):
            op.execute(statement)
    for statement in CREATE_SSO_FUNCTIONS:
        op.execute(statement)


def _create_identity_providers() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.String(length=1000), nullable=False),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.String(length=253)), nullable=False),
        sa.Column("default_role", MEMBERSHIP_ROLE, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("configured_by_id", sa.Uuid(), nullable=True),
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
            ["configured_by_id"],
            ["users.id"],
            name=op.f("fk_identity_providers_configured_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_identity_providers_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_providers")),
        sa.UniqueConstraint("tenant_id", name="uq_identity_providers_tenant"),
    )
    op.create_index(
        op.f("ix_identity_providers_tenant_id"), "identity_providers", ["tenant_id"], unique=False
    )


def _create_sso_logins() -> None:
    op.create_table(
        "sso_logins",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("state_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_providers.id"],
            name=op.f("fk_sso_logins_provider_id_identity_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["organizations.id"],
            name=op.f("fk_sso_logins_tenant_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_logins")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_sso_logins_state_hash")),
    )
    op.create_index(op.f("ix_sso_logins_provider_id"), "sso_logins", ["provider_id"], unique=False)
    op.create_index(op.f("ix_sso_logins_tenant_id"), "sso_logins", ["tenant_id"], unique=False)


def downgrade() -> None:
    for statement in DROP_SSO_FUNCTIONS:
        op.execute(statement)
    for table in TENANT_TABLES:
        for statement in drop_tenant_policies(table):
            op.execute(statement)
    op.drop_index(op.f("ix_sso_logins_tenant_id"), table_name="sso_logins")
    op.drop_index(op.f("ix_sso_logins_provider_id"), table_name="sso_logins")
    op.drop_table("sso_logins")
    op.drop_index(op.f("ix_identity_providers_tenant_id"), table_name="identity_providers")
    op.drop_table("identity_providers")
    op.drop_constraint(op.f("ck_users_identity_pair"), "users", type_="check")
    op.drop_constraint("uq_users_identity", "users", type_="unique")
    op.drop_column("users", "identity_subject")
    op.drop_column("users", "identity_issuer")
