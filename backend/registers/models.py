"""The registers each standard's planning rests on, and the improvement register.

One table, `register_entries`, holds every register's rows: the shapes agree on what matters
most (a reference, an owner, a review date, a program it serves, archive instead of delete,
history, links to objectives and actions, likelihood and impact where it is scored), and each
kind adds its own columns, left empty by the others. The API gives every kind its own type
and inputs, so a hazard never shows a treatment and a risk never shows a hierarchy of
controls. Improvements are a kind too: they share the owner, history, links and archive.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum
from backend.planning.models import Benefit


class EntryKind(enum.StrEnum):
    RISK = "risk"  # risks and opportunities (every standard's 6.1)
    SECURITY_RISK = "security_risk"  # ISO/IEC 27001 6.1.2 / 6.1.3
    ASPECT = "aspect"  # ISO 14001 6.1.2
    HAZARD = "hazard"  # ISO 45001 6.1.2
    OBLIGATION = "obligation"  # ISO 14001 / ISO 45001 6.1.3
    INCIDENT = "incident"  # ISO 45001 10.2, security incidents
    IMPROVEMENT = "improvement"  # the improvement register (10.1 / 10.3)


class Nature(enum.StrEnum):
    RISK = "risk"
    OPPORTUNITY = "opportunity"


class Treatment(enum.StrEnum):
    MODIFY = "modify"
    RETAIN = "retain"
    AVOID = "avoid"
    SHARE = "share"


class Condition(enum.StrEnum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"
    EMERGENCY = "emergency"


class ControlLevel(enum.StrEnum):
    """The hierarchy of controls, most effective first."""

    ELIMINATION = "elimination"
    SUBSTITUTION = "substitution"
    ENGINEERING = "engineering"
    ADMINISTRATIVE = "administrative"
    PPE = "ppe"


LOWER_LEVELS = frozenset({ControlLevel.ADMINISTRATIVE, ControlLevel.PPE})


class EvaluationResult(enum.StrEnum):
    COMPLIANT = "compliant"
    PARTIALLY_COMPLIANT = "partially_compliant"
    NOT_COMPLIANT = "not_compliant"


class IncidentKind(enum.StrEnum):
    INJURY = "injury"
    ILL_HEALTH = "ill_health"
    NEAR_MISS = "near_miss"
    SECURITY = "security"
    ENVIRONMENTAL = "environmental"


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ImprovementSource(enum.StrEnum):
    AUDIT = "audit"  # an observation or opportunity for improvement found
    REVIEW = "review"  # a management review's output
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class ImprovementStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"


class RegisterEntry(Identified, Timestamped, TenantOwned, Base):
    """A row of one register, serving one program (and so one standard)."""

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference", name="uq_register_entries_reference"),
        UniqueConstraint("review_output_id", name="uq_register_entries_review_output"),
        CheckConstraint("likelihood BETWEEN 1 AND 10", name="likelihood_scale"),
        CheckConstraint("impact BETWEEN 1 AND 10", name="impact_scale"),
        CheckConstraint("residual_likelihood BETWEEN 1 AND 10", name="residual_likelihood_scale"),
        CheckConstraint("residual_impact BETWEEN 1 AND 10", name="residual_impact_scale"),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(EntryKind, "register_kind"))
    reference: Mapped[str] = mapped_column(String(40))  # "R-012", unique in the tenant
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_on: Mapped[date | None]
    reminded_for: Mapped[date | None]  # the due day (review, evaluation) last reminded of
    archived_at: Mapped[datetime | None]
    archived_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Scored kinds (risks, security risks, aspects, hazards): level = likelihood x impact.
    likelihood: Mapped[int | None] = mapped_column(SmallInteger)
    impact: Mapped[int | None] = mapped_column(SmallInteger)
    # Risks and opportunities.
    nature: Mapped[str | None] = mapped_column(value_enum(Nature, "risk_nature"))
    context: Mapped[str] = mapped_column(Text, default="")  # the issue or need it comes from
    # Security risks.
    asset: Mapped[str] = mapped_column(String(300), default="")
    threat: Mapped[str] = mapped_column(String(300), default="")
    vulnerability: Mapped[str] = mapped_column(String(300), default="")
    treatment: Mapped[str | None] = mapped_column(value_enum(Treatment, "risk_treatment"))
    # Security risks and hazards: the level once the treatment or controls are in place.
    residual_likelihood: Mapped[int | None] = mapped_column(SmallInteger)
    residual_impact: Mapped[int | None] = mapped_column(SmallInteger)
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None]
    # Aspects and hazards.
    activity: Mapped[str] = mapped_column(String(300), default="")
    consequence: Mapped[str] = mapped_column(Text, default="")  # environmental impact; harm
    condition: Mapped[str | None] = mapped_column(value_enum(Condition, "aspect_condition"))
    exposed: Mapped[str] = mapped_column(String(300), default="")  # who may be harmed
    # Obligations.
    source: Mapped[str] = mapped_column(String(300), default="")  # law, permit, contract
    applicability: Mapped[str] = mapped_column(Text, default="")
    evaluation_months: Mapped[int | None] = mapped_column(SmallInteger)
    evaluated_on: Mapped[date | None]
    evaluation_result: Mapped[str | None] = mapped_column(
        value_enum(EvaluationResult, "evaluation_result")
    )
    evaluation_evidence: Mapped[str] = mapped_column(Text, default="")
    # Incidents.
    occurred_on: Mapped[date | None]
    incident_kind: Mapped[str | None] = mapped_column(value_enum(IncidentKind, "incident_kind"))
    severity: Mapped[str | None] = mapped_column(value_enum(Severity, "incident_severity"))
    investigation: Mapped[str] = mapped_column(Text, default="")
    # Improvements.
    improvement_source: Mapped[str | None] = mapped_column(
        value_enum(ImprovementSource, "improvement_source")
    )
    improvement_status: Mapped[str | None] = mapped_column(
        value_enum(ImprovementStatus, "improvement_status")
    )
    benefit: Mapped[str | None] = mapped_column(value_enum(Benefit, "benefit"))
    result: Mapped[str] = mapped_column(Text, default="")
    review_output_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("management_review_outputs.id", ondelete="SET NULL")
    )


class EntryChange(Identified, TenantOwned, Base):
    """Who changed a register row, when, and its fields before and after."""

    __tablename__ = "register_entry_changes"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    action: Mapped[str] = mapped_column(String(40))  # "created", "updated", "evaluated", ...
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)


class EntryLink(Identified, TenantOwned, Base):
    """A planning objective or action that a register row leads to or is treated by."""

    __tablename__ = "register_entry_links"
    __table_args__ = (
        CheckConstraint("(objective_id IS NULL) <> (action_id IS NULL)", name="one_target"),
        UniqueConstraint("entry_id", "objective_id", name="uq_register_entry_links_objective"),
        UniqueConstraint("entry_id", "action_id", name="uq_register_entry_links_action"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    objective_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), index=True
    )


class RiskControl(Identified, TenantOwned, Base):
    """An annex control a security risk's treatment selects: the Statement of Applicability
    reads it as "applicable because this risk needs it"."""

    __tablename__ = "register_risk_controls"
    __table_args__ = (
        UniqueConstraint("entry_id", "clause_id", name="uq_register_risk_controls_link"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)


class HazardControl(Identified, TenantOwned, Base):
    """A control of a hazard, at its level of the hierarchy."""

    __tablename__ = "register_hazard_controls"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(value_enum(ControlLevel, "control_level"))
    description: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(SmallInteger)


class EntryRelation(Identified, TenantOwned, Base):
    """An incident's link to the hazards and risks it concerns; an aspect's to obligations."""

    __tablename__ = "register_entry_relations"
    __table_args__ = (
        UniqueConstraint("entry_id", "related_id", name="uq_register_entry_relations_pair"),
        CheckConstraint("entry_id <> related_id", name="not_itself"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    related_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )


class EntryFinding(Identified, TenantOwned, Base):
    """A finding tied to a register row: the nonconformity an incident raised, or the
    observation or opportunity an improvement was raised from."""

    __tablename__ = "register_entry_findings"
    __table_args__ = (
        UniqueConstraint("entry_id", "finding_id", name="uq_register_entry_findings_pair"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )


class RegisterSettings(Identified, TenantOwned, Base):
    """A tenant's scales and significance threshold; the defaults apply while it has none."""

    __tablename__ = "register_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id", name="uq_register_settings_tenant"),
        CheckConstraint("likelihood_levels BETWEEN 2 AND 10", name="likelihood_levels"),
        CheckConstraint("impact_levels BETWEEN 2 AND 10", name="impact_levels"),
    )

    likelihood_levels: Mapped[int] = mapped_column(SmallInteger, default=5)
    impact_levels: Mapped[int] = mapped_column(SmallInteger, default=5)
    significance_threshold: Mapped[int] = mapped_column(SmallInteger, default=8)
