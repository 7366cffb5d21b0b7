"""Training sessions of a program, who attended, and the competences each role needs."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class TrainingType(enum.StrEnum):
    WORKSHOP = "workshop"
    SEMINAR = "seminar"
    ON_THE_JOB = "on_the_job"
    E_LEARNING = "e_learning"


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class TrainingSession(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "training_sessions"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(value_enum(TrainingType, "training_type"))
    topic: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date]
    duration_minutes: Mapped[int]
    trainer: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(
        value_enum(SessionStatus, "training_session_status"), default=SessionStatus.PLANNED.value
    )


class TrainingSessionClause(Identified, TenantOwned, Base):
    """The requirements a session teaches."""

    __tablename__ = "training_session_clauses"
    __table_args__ = (
        UniqueConstraint("session_id", "clause_id", name="uq_training_session_clauses_link"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)


class Attendance(Identified, Timestamped, TenantOwned, Base):
    """One person in scope of a session: a member, or someone named who has no account."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NOT NULL) <> (person_name IS NOT NULL)", name="member_or_named"
        ),
        # NULLs must collide: one of the two person columns is always empty.
        UniqueConstraint(
            "session_id",
            "user_id",
            "person_name",
            name="uq_training_attendance_person",
            postgresql_nulls_not_distinct=True,
        ),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    person_name: Mapped[str | None] = mapped_column(String(200))
    job_role: Mapped[str] = mapped_column(String(120), default="")  # e.g. "machine operator"
    attended: Mapped[bool] = mapped_column(default=False)
    passed: Mapped[bool | None]
    certificate_evidence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )


class CompetenceRequirement(Identified, Timestamped, TenantOwned, Base):
    """What a job role must be able to do, for a program."""

    __tablename__ = "competence_requirements"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    job_role: Mapped[str] = mapped_column(String(120))
    competence: Mapped[str] = mapped_column(Text)
