"""Assignments: the member who answers for a requirement of a program, or works a line of
an internal audit's checklist.

The portfolio itself stores nothing: it reads the other areas' rows when asked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned


class RequirementAssignment(Identified, TenantOwned, Base):
    """One person answers for a requirement of a program; assigning again hands it over."""

    __tablename__ = "requirement_assignments"
    __table_args__ = (
        UniqueConstraint("program_id", "clause_id", name="uq_requirement_assignments_requirement"),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"))
    assignee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ChecklistLineAssignment(Identified, TenantOwned, Base):
    """One person works a line of an internal audit's checklist; assigning again hands it over."""

    __tablename__ = "checklist_line_assignments"
    __table_args__ = (UniqueConstraint("line_id", name="uq_checklist_line_assignments_line"),)

    line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_checklist_lines.id", ondelete="CASCADE")
    )
    assignee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(server_default=func.now())
