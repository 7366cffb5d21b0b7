"""report subjects and reports in packages

Revision ID: 0026
Revises: 0025

Reports of one internal audit or one management review (two new kinds, nullable audit_id
and review_id beside the program, never both), every program a report covers (program_ids,
its program first: several for an integrated readiness report), and a ready report as an item of an evidence
package (item kind 'report' with the report it holds, once per package).

Downgrading drops the columns, constraints and index but leaves the enum values: PostgreSQL
cannot remove a value from an enum, and an unused value harms nothing (0022 and 0020 drop
the types themselves).
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECTS = (("audit_id", "audits"), ("review_id", "management_reviews"))
ITEMS = "evidence_package_items"


def upgrade() -> None:
    for value in ("internal_audit", "management_review"):
        op.execute(f"ALTER TYPE report_kind ADD VALUE IF NOT EXISTS '{value}'")
    op.execute("ALTER TYPE evidence_package_item_kind ADD VALUE IF NOT EXISTS 'report'")
    for column, table in SUBJECTS:
        op.add_column("reports", sa.Column(column, sa.Uuid(), nullable=True))
        op.create_foreign_key(
            f"fk_reports_{column}_{table}", "reports", table, [column], ["id"], ondelete="CASCADE"
        )
        op.create_index(f"ix_reports_{column}", "reports", [column])
    op.create_check_constraint(
        "ck_reports_one_subject", "reports", "audit_id IS NULL OR review_id IS NULL"
    )
    op.add_column("reports", sa.Column("program_ids", postgresql.ARRAY(sa.Uuid()), nullable=True))
    op.execute("UPDATE reports SET program_ids = ARRAY[program_id]")
    op.alter_column("reports", "program_ids", nullable=False)
    op.create_check_constraint("ck_reports_program_first", "reports", "program_ids[1] = program_id")
    op.add_column(ITEMS, sa.Column("report_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(f"fk_{ITEMS}_report_id_reports", ITEMS, "reports", ["report_id"], ["id"])
    op.create_check_constraint(  # kind as text: the new value is not usable in this transaction
        f"ck_{ITEMS}_report_item", ITEMS, "(kind::text = 'report') = (report_id IS NOT NULL)"
    )
    op.create_index(
        "uq_evidence_package_items_report",
        ITEMS,
        ["package_id", "report_id"],
        unique=True,
        postgresql_where=sa.text("report_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_evidence_package_items_report", table_name=ITEMS)
    op.drop_constraint(f"ck_{ITEMS}_report_item", ITEMS, type_="check")
    op.drop_column(ITEMS, "report_id")
    op.drop_constraint("ck_reports_program_first", "reports", type_="check")
    op.drop_column("reports", "program_ids")
    op.drop_constraint("ck_reports_one_subject", "reports", type_="check")
    for column, _table in SUBJECTS:
        op.drop_index(f"ix_reports_{column}", table_name="reports")
        op.drop_column("reports", column)
