"""Reports and their files.

A report is one rendering of a program's data at one moment: a spreadsheet export (made at
once, in the request) or a PDF document (made by a job, since charts take seconds). The
internal audit report and the management review minutes are of one audit or one review
(`audit_id`, `review_id`); they keep the program too, the subject's first, so every report
lists, filters and is deleted with a program the same way (docs/reports.md). A readiness
report of an integrated management system covers several programs (`program_ids`). Its
bytes are kept once, in `report_files`, with their SHA-256: what was handed over can be
downloaded again and checked, and is never re-rendered under the same id.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class ReportKind(enum.StrEnum):
    GAP_ANALYSIS = "gap_analysis"
    STATEMENT_OF_APPLICABILITY = "statement_of_applicability"
    FINDINGS = "findings"
    ACTION_PLAN = "action_plan"
    REGISTERS = "registers"
    READINESS = "readiness"
    INTERNAL_AUDIT = "internal_audit"
    MANAGEMENT_REVIEW = "management_review"


class ReportFormat(enum.StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"


class ReportStatus(enum.StrEnum):
    PENDING = "pending"  # queued for the renderer
    READY = "ready"
    FAILED = "failed"


class Report(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "reports"
    __table_args__ = (CheckConstraint("audit_id IS NULL OR review_id IS NULL", name="one_subject"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    # Every program the report covers, `program_id` first: one, or the programs of an
    # integrated management system in a readiness report.
    program_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    audit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("audits.id", ondelete="CASCADE"), index=True
    )
    review_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("management_reviews.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(ReportKind, "report_kind"))
    format: Mapped[str] = mapped_column(value_enum(ReportFormat, "report_format"))
    status: Mapped[str] = mapped_column(value_enum(ReportStatus, "report_status"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    render_ms: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)  # PDF page count, sheets of a workbook
    failure: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None]


class ReportFile(TenantOwned, Base):
    """The bytes of a ready report, written once (the database refuses UPDATE and DELETE to
    the app role). Not in the activity log: the report row records the file's SHA-256."""

    __tablename__ = "report_files"
    activity_logged: ClassVar[bool] = False

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
