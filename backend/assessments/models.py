"""One assessment per (program, requirement), and the history of every change to it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class Conformity(enum.StrEnum):
    NOT_ASSESSED = "not_assessed"
    CONFORMANT = "conformant"
    PARTIAL = "partial"
    NONCONFORMANT = "nonconformant"
    NOT_APPLICABLE = "not_applicable"


class Priority(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Implementation(enum.StrEnum):
    """Statement of Applicability: how far an applicable annex control is implemented."""

    NOT_IMPLEMENTED = "not_implemented"
    PLANNED = "planned"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    IMPLEMENTED = "implemented"


class Assessment(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("program_id", "clause_id", name="uq_assessments_program_clause"),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)
    status: Mapped[str] = mapped_column(
        value_enum(Conformity, "conformity"), default=Conformity.NOT_ASSESSED.value
    )
    current_practice: Mapped[str] = mapped_column(Text, default="")
    gap_description: Mapped[str] = mapped_column(Text, default="")
    justification: Mapped[str] = mapped_column(Text, default="")  # required for not_applicable
    priority: Mapped[str | None] = mapped_column(value_enum(Priority, "priority"))
    implementation: Mapped[str | None] = mapped_column(value_enum(Implementation, "implementation"))
    assessed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assessed_at: Mapped[datetime | None]


class ChangeSource(enum.StrEnum):
    """Where an entry of the history came from (`after["source"]`; a person's has none)."""

    PERSON = "person"
    CATALOG_CHANGE = "catalog_change"  # a reloaded catalog divided the requirement
    FINDING = "finding"  # a nonconformity raised against the requirement


ASSESSED_FIELDS = (
    "status",
    "current_practice",
    "gap_description",
    "justification",
    "priority",
    "implementation",
)


def assessed_state(assessment: Assessment) -> dict[str, str | None]:
    """The assessed fields of a stored assessment, as the history keeps them before and after
    a change that another area makes through these models (a finding, a catalog change)."""
    return {name: getattr(assessment, name) for name in ASSESSED_FIELDS}


class AssessmentChange(Identified, TenantOwned, Base):
    """Who changed an assessment, when, and what it was before and after.

    A change another area made says where it came from in `after["source"]` (a
    `ChangeSource`), with the details a reader needs to follow it.
    """

    __tablename__ = "assessment_changes"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)
