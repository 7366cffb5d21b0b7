"""Objectives, actions (linked to the requirements they address) and milestones."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class Benefit(enum.StrEnum):
    """Why an objective exists, so management can weigh it."""

    IMPROVED_EFFICIENCY = "improved_efficiency"
    CUSTOMER_SATISFACTION = "customer_satisfaction"
    MARKET_ACCESS = "market_access"
    RISK_MANAGEMENT = "risk_management"
    REGULATORY_COMPLIANCE = "regulatory_compliance"


class ObjectiveStatus(enum.StrEnum):
    OPEN = "open"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    CANCELLED = "cancelled"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


# An action in one of these is finished: it is no longer overdue, nor still to do.
FINISHED_ACTION_STATUSES = (ActionStatus.DONE.value, ActionStatus.CANCELLED.value)


class Objective(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "objectives"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    statement: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str] = mapped_column(String(300))  # what is measured
    target: Mapped[str] = mapped_column(String(300))  # the value that counts as achieved
    due_date: Mapped[date | None]
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(
        value_enum(ObjectiveStatus, "objective_status"), default=ObjectiveStatus.OPEN.value
    )
    benefit: Mapped[str] = mapped_column(value_enum(Benefit, "benefit"))


class Action(Identified, Timestamped, TenantOwned, Base):
    """Work that closes a gap. Overdue is derived (due date passed, not done or cancelled)."""

    __tablename__ = "actions"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    objective_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(
        value_enum(ActionStatus, "action_status"), default=ActionStatus.OPEN.value
    )
    effort_hours: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    completed_at: Mapped[datetime | None]


class ActionRequirement(Identified, TenantOwned, Base):
    """An action addresses a requirement (and so the gap its assessment records)."""

    __tablename__ = "action_requirements"
    __table_args__ = (
        UniqueConstraint("action_id", "clause_id", name="uq_action_requirements_action_clause"),
    )

    action_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)


class Milestone(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "milestones"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date]
    reached_at: Mapped[datetime | None]
