"""auth hardening

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000

The authentication tables come under row-level security (`backend/auth/rls.py`): users,
refresh tokens, invitations and login throttles are unreadable to the app role without the
setting that proves a row, and the password hash is read only through `auth_credentials`.

Login failures become counters per (email, address), email and address (recent failures
are not carried over: the counters start empty). Invitations name an organization, an
e-mail address and a role, and the membership is made when one is accepted; an existing
invitation keeps its token and takes the organization and role of its user's first
membership (one whose user has none is dropped). A downgrade turns invitations whose
address has an account back into invitations of that user and drops the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from backend.auth.rls import (
    CREATE_CREDENTIALS_FUNCTION,
    DROP_CREDENTIALS_FUNCTION,
    INVITATION_EXTRA_READ,
    REFRESH_TOKEN_POLICIES,
    THROTTLE_POLICIES,
    USERS_POLICIES,
    drop_policies,
)
from tenants.rls import drop_tenant_policies, tenant_policies

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBERSHIP_ROLE = postgresql.ENUM(name="membership_role", create_type=False)
ALL_COMMANDS = ("select", "insert", "update", "delete")


def upgrade() -> None:
    _replace_login_failures()
    _invitations_name_an_organization()
    for statement in (
        *CREATE_CREDENTIALS_FUNCTION,
        *USERS_POLICIES,
        *REFRESH_TOKEN_POLICIES,
        *THROTTLE_POLICIES,
        *tenant_policies("invitations", INVITATION_EXTRA_READ),
    ):
        op.execute(statement)


def downgrade() -> None:
    for statement in (
        *drop_tenant_policies("invitations"),
        *drop_policies("login_throttles", ALL_COMMANDS),
        *drop_policies("refresh_tokens", ALL_COMMANDS),
        *drop_policies("users", ALL_COMMANDS),
        DROP_CREDENTIALS_FUNCTION,
    ):
        op.execute(statement)
    _invitations_name_a_user()
    _restore_login_failures()


def _replace_login_failures() -> None:
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "login_throttles",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email", "client_address", name=op.f("pk_login_throttles")),
    )


def _restore_login_failures() -> None:
    op.drop_table("login_throttles")
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
        "ix_login_failures_address_at", "login_failures", ["client_address", "occurred_at"]
    )
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "occurred_at"])


def _invitations_name_an_organization() -> None:
    op.add_column("invitations", sa.Column("tenant_id", sa.Uuid(), nullable=True))
    op.add_column("invitations", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("invitations", sa.Column("name", sa.String(length=200), nullable=True))
    op.add_column("invitations", sa.Column("role", MEMBERSHIP_ROLE, nullable=True))
    op.add_column("invitations", sa.Column("invited_by_id", sa.Uuid(), nullable=True))
    op.execute(
        """
        UPDATE invitations i
        SET tenant_id = m.tenant_id, role = m.role, email = lower(u.email), name = u.name
        FROM users u
        CROSS JOIN LATERAL (
            SELECT tenant_id, role FROM memberships
            WHERE user_id = u.id ORDER BY created_at, id LIMIT 1
        ) m
        WHERE u.id = i.user_id
        """
    )
    op.execute("DELETE FROM invitations WHERE tenant_id IS NULL")
    for column in ("tenant_id", "email", "role"):
        op.alter_column("invitations", column, nullable=False)
    op.drop_index(op.f("ix_invitations_user_id"), table_name="invitations")
    op.drop_constraint(op.f("fk_invitations_user_id_users"), "invitations", type_="foreignkey")
    op.drop_column("invitations", "user_id")
    op.create_foreign_key(
        op.f("fk_invitations_tenant_id_organizations"),
        "invitations",
        "organizations",
        ["tenant_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_invitations_invited_by_id_users"),
        "invitations",
        "users",
        ["invited_by_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_invitations_tenant_id"), "invitations", ["tenant_id"])
    op.create_index(
        "uq_invitations_pending",
        "invitations",
        ["tenant_id", "email"],
        unique=True,
        postgresql_where=sa.text("accepted_at IS NULL"),
    )


def _invitations_name_a_user() -> None:
    op.drop_index(
        "uq_invitations_pending",
        table_name="invitations",
        postgresql_where=sa.text("accepted_at IS NULL"),
    )
    op.drop_index(op.f("ix_invitations_tenant_id"), table_name="invitations")
    op.drop_constraint(
        op.f("fk_invitations_invited_by_id_users"), "invitations", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_invitations_tenant_id_organizations"), "invitations", type_="foreignkey"
    )
    op.add_column("invitations", sa.Column("user_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE invitations i SET user_id = u.id FROM users u WHERE lower(u.email) = i.email"
    )
    op.execute("DELETE FROM invitations WHERE user_id IS NULL")
    op.alter_column("invitations", "user_id", nullable=False)
    for column in ("invited_by_id", "role", "name", "email", "tenant_id"):
        op.drop_column("invitations", column)
    op.create_foreign_key(
        op.f("fk_invitations_user_id_users"),
        "invitations",
        "users",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_invitations_user_id"), "invitations", ["user_id"])
