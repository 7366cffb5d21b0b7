"""append only

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

The history tables become append-only in the database: assessment changes and evidence
downloads are never updated or deleted, and an evidence version is decided once (pending to
available or rejected) without any other column changing. `certready migrate` revokes the
matching privileges from the app role; a downgrade leaves them revoked until the next
`certready migrate` grants them again.
"""

from collections.abc import Sequence

from alembic import op

from backend.db.append_only import CREATE_GUARD, DROP_GUARD, Decision, append_only, drop_append_only

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = ("assessment_changes", "evidence_downloads")
VERDICT = Decision("status", "pending", ("status", "rejection_reason", "confirmed_at"))


def upgrade() -> None:
    op.execute(CREATE_GUARD)
    for table in HISTORY:
        for statement in append_only(table):
            op.execute(statement)
    for statement in append_only("evidence_versions", VERDICT):
        op.execute(statement)


def downgrade() -> None:
    for table in (*HISTORY, "evidence_versions"):
        for statement in drop_append_only(table):
            op.execute(statement)
    op.execute(DROP_GUARD)
