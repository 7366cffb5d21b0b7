"""Findings and what answers them: correction, root cause, corrective actions, effectiveness.

A finding concerns one or more requirements, each of one program (an integrated audit may
find the same gap in several standards). A nonconformity's answer is recorded in order on
the finding itself (correction, root cause, implementation) and in its own rows (corrective
actions are planning actions tied to the finding by round; effectiveness reviews one per
round). A "not effective" review opens the next round, so every round keeps its actions and
its verdict on record.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class FindingType(enum.StrEnum):
    MAJOR_NONCONFORMITY = "major_nonconformity"
    MINOR_NONCONFORMITY = "minor_nonconformity"
    OBSERVATION = "observation"
    OPPORTUNITY_FOR_IMPROVEMENT = "opportunity_for_improvement"

    @property
    def is_nonconformity(self) -> bool:
        return self in NONCONFORMITIES


NONCONFORMITIES = frozenset({FindingType.MAJOR_NONCONFORMITY, FindingType.MINOR_NONCONFORMITY})


class FindingSource(enum.StrEnum):
    INTERNAL_AUDIT = "internal_audit"
    CERTIFICATION_AUDIT = "certification_audit"
    MANAGEMENT_REVIEW = "management_review"
    INCIDENT = "incident"
    COMPLAINT = "complaint"
    SELF_IDENTIFIED = "self_identified"


class FindingStatus(enum.StrEnum):
    """Where a finding stands. Observations and opportunities go from open to closed; a
    nonconformity passes through each stage of its answer in this order."""

    OPEN = "open"
    CORRECTED = "corrected"  # containment recorded
    ANALYSED = "analysed"  # root cause recorded
    ACTION_PLANNED = "action_planned"  # corrective action(s) of the current round
    IMPLEMENTED = "implemented"  # the round's actions are done; effectiveness review due
    REOPENED = "reopened"  # the review found the round not effective: a new action is needed
    VERIFIED = "verified"  # the review found it effective; it may be closed
    CLOSED = "closed"


class RootCauseMethod(enum.StrEnum):
    FIVE_WHYS = "five_whys"
    FISHBONE = "fishbone"
    OTHER = "other"


class EffectivenessVerdict(enum.StrEnum):
    PENDING = "pending"  # planned, not yet decided
    EFFECTIVE = "effective"
    NOT_EFFECTIVE = "not_effective"


class Finding(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("tenant_id", "reference", name="uq_findings_reference"),)

    reference: Mapped[str] = mapped_column(String(40))  # "NC-2026-007", unique in the tenant
    type: Mapped[str] = mapped_column(value_enum(FindingType, "finding_type"))
    source: Mapped[str] = mapped_column(value_enum(FindingSource, "finding_source"))
    statement: Mapped[str] = mapped_column(Text)
    objective_evidence: Mapped[str] = mapped_column(Text, default="")  # what was seen
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(
        value_enum(FindingStatus, "finding_status"), default=FindingStatus.OPEN.value
    )
    raised_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    correction: Mapped[str] = mapped_column(Text, default="")  # containment of the effect
    corrected_on: Mapped[date | None]
    root_cause_method: Mapped[str | None] = mapped_column(
        value_enum(RootCauseMethod, "root_cause_method")
    )
    root_cause: Mapped[str] = mapped_column(Text, default="")
    # Corrective-action round: 1 at first, one more after each "not effective" review.
    round: Mapped[int] = mapped_column(SmallInteger, default=1)
    implemented_on: Mapped[date | None]  # of the current round's actions
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closure_note: Mapped[str] = mapped_column(Text, default="")


class FindingRequirement(Identified, TenantOwned, Base):
    """A requirement of a program that the finding concerns."""

    __tablename__ = "finding_requirements"
    __table_args__ = (
        UniqueConstraint(
            "finding_id", "program_id", "clause_id", name="uq_finding_requirements_link"
        ),
    )

    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)


class CorrectiveAction(Identified, TenantOwned, Base):
    """A planning action that answers a nonconformity, in the round it was added for."""

    __tablename__ = "corrective_actions"
    __table_args__ = (UniqueConstraint("action_id", name="uq_corrective_actions_action"),)

    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(SmallInteger)


class EffectivenessReview(Identified, TenantOwned, Base):
    """Whether a round of corrective action removed the cause: planned when the round is
    implemented (due date, reviewer) and decided once, which the database enforces (the
    verdict leaves pending with its date, decider and notes; nothing else ever changes)."""

    __tablename__ = "effectiveness_reviews"
    __table_args__ = (
        UniqueConstraint("finding_id", "round", name="uq_effectiveness_reviews_round"),
    )

    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(SmallInteger)
    due_date: Mapped[date]
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    verdict: Mapped[str] = mapped_column(
        value_enum(EffectivenessVerdict, "effectiveness_verdict"),
        default=EffectivenessVerdict.PENDING.value,
    )
    reviewed_on: Mapped[date | None]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FindingEvidence(Identified, TenantOwned, Base):
    """Evidence attached to a finding (what was seen, how it was corrected)."""

    __tablename__ = "finding_evidence"
    __table_args__ = (
        UniqueConstraint("finding_id", "evidence_id", name="uq_finding_evidence_link"),
    )

    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )


class ReviewEvidence(Identified, TenantOwned, Base):
    """Evidence that an effectiveness review relied on."""

    __tablename__ = "effectiveness_review_evidence"
    __table_args__ = (
        UniqueConstraint("review_id", "evidence_id", name="uq_effectiveness_review_evidence_link"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("effectiveness_reviews.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True
    )
