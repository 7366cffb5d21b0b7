"""trace context

Revision ID: 0023
Revises: 0022

Jobs continue the trace of the request that enqueued them: the outbox row keeps the W3C
traceparent of the span that wrote it (null when tracing is off). The metrics scrape reads
the outbox's backlog through a SECURITY DEFINER function that returns two numbers and no
row of any tenant.
Create Date: 2026-12-06 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.jobs.sql import CREATE_BACKLOG_FUNCTION, DROP_BACKLOG_FUNCTION

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("job_outbox", sa.Column("traceparent", sa.String(length=55), nullable=True))
    for statement in CREATE_BACKLOG_FUNCTION:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_BACKLOG_FUNCTION:
        op.execute(statement)
    op.drop_column("job_outbox", "traceparent")
