"""claim trace context

Revision ID: 0027
Revises: 0026

The relay's claim returns each job's traceparent with its id and tenant, so the span that
publishes the job to the broker continues the trace of the request that enqueued it.
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

from alembic import op

from backend.jobs.sql import CREATE_TRACED_CLAIM, DROP_TRACED_CLAIM

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in CREATE_TRACED_CLAIM:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRACED_CLAIM:
        op.execute(statement)
