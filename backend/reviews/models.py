"""Management reviews, the programs they serve, who attended, their inputs and outputs.

A review may serve an integrated management system: it covers one or more programs of its
organization. Its inputs are a snapshot: assembled from the other areas' data when the
review is prepared and again, for the last time, when it is held, with their figures and
links stored on the row, so later changes in the data never rewrite a held review. Its
outputs are planning actions (owner, due date, status) tied to the review by
`management_review_outputs`, as findings tie their corrective actions.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class ReviewStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"  # attendees and inputs frozen; notes and outputs still recorded
    SIGNED = "signed"  # by the chair: locked


class InputKind(enum.StrEnum):
    """What a review considers. The first five are assembled from data; the others are
    written by people until certready models them."""

    PREVIOUS_ACTIONS = "previous_actions"
    NONCONFORMITIES = "nonconformities"
    AUDIT_RESULTS = "audit_results"
    OBJECTIVES = "objectives"
    IMPROVEMENT_OPPORTUNITIES = "improvement_opportunities"
    ISSUES = "issues"
    INTERESTED_PARTIES = "interested_parties"
    RESOURCES = "resources"
    RISKS_AND_OPPORTUNITIES = "risks_and_opportunities"
    CUSTOMER_SATISFACTION = "customer_satisfaction"
    EXTERNAL_PROVIDERS = "external_providers"
    COMPLIANCE_OBLIGATIONS = "compliance_obligations"
    SIGNIFICANT_ASPECTS = "significant_aspects"
    COMMUNICATIONS = "communications"
    INCIDENTS = "incidents"
    WORKER_CONSULTATION = "worker_consultation"
    LEGAL_COMPLIANCE = "legal_compliance"
    RISK_TREATMENT = "risk_treatment"
    SECURITY_FEEDBACK = "security_feedback"


class OutputKind(enum.StrEnum):
    DECISION = "decision"
    IMPROVEMENT = "improvement"
    CHANGE = "change"  # a change needed in the management system
    RESOURCES = "resources"


class ManagementReview(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "management_reviews"
    __table_args__ = (CheckConstraint("planned_on >= period_start", name="period_before_review"),)

    title: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[date]  # the first day the inputs look back to
    planned_on: Mapped[date]
    held_on: Mapped[date | None]
    chair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(
        value_enum(ReviewStatus, "review_status"), default=ReviewStatus.PLANNED.value
    )
    prepared_at: Mapped[datetime | None]  # when the inputs were last assembled
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ReviewProgram(Identified, TenantOwned, Base):
    """A program the review serves."""

    __tablename__ = "management_review_programs"
    __table_args__ = (
        UniqueConstraint("review_id", "program_id", name="uq_management_review_programs"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("management_reviews.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)


class ReviewAttendee(Identified, TenantOwned, Base):
    """Someone at the review: a member of the organization, or a person named."""

    __tablename__ = "management_review_attendees"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (external_name = '')", name="member_or_named"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("management_reviews.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    external_name: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(SmallInteger)


class ReviewInput(Identified, TenantOwned, Base):
    """One input: its figures and links as assembled (a snapshot), and what was said."""

    __tablename__ = "management_review_inputs"
    __table_args__ = (UniqueConstraint("review_id", "kind", name="uq_management_review_inputs"),)

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("management_reviews.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(InputKind, "review_input_kind"))
    position: Mapped[int] = mapped_column(SmallInteger)
    standard: Mapped[str] = mapped_column(String(40), default="")  # "ISO 9001" when it asks
    # [{"label": "Major nonconformities open", "value": 2}, ...]
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # [{"type": "Finding", "id": "<uuid>", "label": "NC-2026-001 (open)"}, ...]
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")


class ReviewOutput(Identified, TenantOwned, Base):
    """A planning action the review decided on; a review output belongs to one review."""

    __tablename__ = "management_review_outputs"
    __table_args__ = (UniqueConstraint("action_id", name="uq_management_review_outputs_action"),)

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("management_reviews.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(OutputKind, "review_output_kind"))
    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
