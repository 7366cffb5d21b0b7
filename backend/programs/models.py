"""A tenant's certification program for one standard edition, and its seven steps."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class ProgramStatus(enum.StrEnum):
    PREPARING = "preparing"
    CERTIFICATION_AUDIT = "certification_audit"
    CERTIFIED = "certified"
    SURVEILLANCE_1 = "surveillance_1"
    SURVEILLANCE_2 = "surveillance_2"
    RECERTIFICATION = "recertification"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


# A program in one of these no longer occupies its standard in the tenant.
ENDED_STATUSES = (ProgramStatus.WITHDRAWN, ProgramStatus.EXPIRED)


class StepKey(enum.StrEnum):
    GAP_ANALYSIS = "gap_analysis"
    PLANNING = "planning"
    TRAINING = "training"
    DOCUMENTATION = "documentation"
    IMPLEMENTATION = "implementation"
    INTERNAL_AUDIT = "internal_audit"
    CERTIFICATION_AUDIT = "certification_audit"


class StepStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Program(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "programs"
    __table_args__ = (
        Index(
            "uq_programs_active_standard",
            "tenant_id",
            "standard_id",
            unique=True,
            postgresql_where="status NOT IN ('withdrawn', 'expired')",
        ),
    )

    standard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standards.id"), index=True)
    scope_statement: Mapped[str] = mapped_column(Text)
    target_date: Mapped[date | None]
    certification_body_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(
        value_enum(ProgramStatus, "program_status"), default=ProgramStatus.PREPARING.value
    )
    # While suspended: the state to resume, so a suspension cannot skip a step of the cycle.
    suspended_from: Mapped[str | None] = mapped_column(value_enum(ProgramStatus, "program_status"))

    steps: Mapped[list[ProgramStep]] = relationship(
        back_populates="program", order_by="ProgramStep.number", cascade="all, delete-orphan"
    )


class ProgramStep(Identified, Timestamped, TenantOwned, Base):
    """One of the seven steps; its objective and checklist come from `programs.steps`."""

    __tablename__ = "program_steps"
    __table_args__ = (UniqueConstraint("program_id", "number", name="uq_program_steps_number"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(SmallInteger)
    key: Mapped[str] = mapped_column(value_enum(StepKey, "step_key"))
    status: Mapped[str] = mapped_column(
        value_enum(StepStatus, "step_status"), default=StepStatus.NOT_STARTED.value
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    # Keys of the checklist items ticked off: {"document-procedures": true, ...}.
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    program: Mapped[Program] = relationship(back_populates="steps")
