"""The audit programme, its audits and their checklists.

A programme covers programs of one organization (one or several standards: an integrated
management system) for a period, with the clauses it must cover. Each audit of the
programme has a checklist: one line per requirement in its scope, each of one program, with
the result the auditors recorded. Findings raised during an audit are tied to it (and to the
checklist line they came from) by `audit_findings`, owned here, so the findings area never
has to know audits exist.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class Independence(enum.StrEnum):
    """What happens when an auditor would audit a clause they own."""

    WARN = "warn"  # the change is made and the payload lists the conflicts
    REFUSE = "refuse"  # the change is refused with NOT_INDEPENDENT


class AuditStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"  # fieldwork
    REPORTING = "reporting"  # fieldwork done, the report is being written
    CLOSED = "closed"  # signed by the lead auditor: locked
    CANCELLED = "cancelled"  # locked too


class ChecklistResult(enum.StrEnum):
    CONFORMANT = "conformant"
    NONCONFORMITY = "nonconformity"
    OBSERVATION = "observation"
    OPPORTUNITY_FOR_IMPROVEMENT = "opportunity_for_improvement"
    NOT_SAMPLED = "not_sampled"  # in scope but not looked at: does not count as audited


class AuditProgramme(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "audit_programmes"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_in_order"),
        CheckConstraint("audits_per_period BETWEEN 1 AND 12", name="audits_per_period_range"),
    )

    title: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[date]
    period_end: Mapped[date]
    objectives: Mapped[str] = mapped_column(Text, default="")
    # How many times each clause is audited in the period; areas at risk get one more.
    audits_per_period: Mapped[int] = mapped_column(SmallInteger, default=1)
    independence: Mapped[str] = mapped_column(
        value_enum(Independence, "audit_independence"), default=Independence.REFUSE.value
    )


class ProgrammeRequirement(Identified, TenantOwned, Base):
    """A requirement of one of the programme's programs that its audits must cover."""

    __tablename__ = "audit_programme_requirements"
    __table_args__ = (
        UniqueConstraint(
            "programme_id", "program_id", "clause_id", name="uq_audit_programme_requirements"
        ),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_programmes.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)


class Audit(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "audits"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference", name="uq_audits_reference"),
        CheckConstraint("planned_end >= planned_start", name="planned_in_order"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_programmes.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(String(40))  # "IA-2026-03", unique in the tenant
    title: Mapped[str] = mapped_column(String(300))
    criteria: Mapped[str] = mapped_column(Text, default="")  # what the audit measures against
    objectives: Mapped[str] = mapped_column(Text, default="")
    processes: Mapped[list[str]] = mapped_column(JSON, default=list)
    sites: Mapped[list[str]] = mapped_column(JSON, default=list)
    auditee_contacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    planned_start: Mapped[date]
    planned_end: Mapped[date]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    lead_auditor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(
        value_enum(AuditStatus, "audit_status"), default=AuditStatus.PLANNED.value
    )
    conclusion: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")


class AuditTeamMember(Identified, TenantOwned, Base):
    """A member of the audit team: a member of the organization, or a named outsider."""

    __tablename__ = "audit_team_members"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (external_name = '')", name="member_or_named"),
    )

    audit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audits.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    external_name: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(SmallInteger)


class ChecklistLine(Identified, TenantOwned, Base):
    """One requirement of the audit's scope: the question asked and what was found."""

    __tablename__ = "audit_checklist_lines"
    __table_args__ = (
        UniqueConstraint("audit_id", "program_id", "clause_id", name="uq_audit_checklist_lines"),
    )

    audit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audits.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    question: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    sampled_records: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(value_enum(ChecklistResult, "checklist_result"))


class ChecklistReference(Identified, TenantOwned, Base):
    """An evidence version or a controlled document a checklist line relied on."""

    __tablename__ = "audit_checklist_references"
    __table_args__ = (
        CheckConstraint(
            "(evidence_version_id IS NULL) <> (document_id IS NULL)", name="one_target"
        ),
        UniqueConstraint(
            "line_id",
            "evidence_version_id",
            "document_id",
            name="uq_audit_checklist_references",
            postgresql_nulls_not_distinct=True,
        ),
    )

    line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_checklist_lines.id", ondelete="CASCADE"), index=True
    )
    evidence_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_versions.id", ondelete="CASCADE")
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("controlled_documents.id", ondelete="CASCADE")
    )


class AuditFinding(Identified, TenantOwned, Base):
    """A finding raised in an audit, from one of its checklist lines. A finding comes from
    at most one audit."""

    __tablename__ = "audit_findings"
    __table_args__ = (UniqueConstraint("finding_id", name="uq_audit_findings_finding"),)

    audit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audits.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_checklist_lines.id", ondelete="CASCADE"), index=True
    )
    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
