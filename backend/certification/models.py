"""Certification audits, certificates (one per cycle) and a body's own rule numbers.

A certification audit is held by the certification body the client granted access, over one
or more of the client's programs (an integrated audit). Findings the body raised are
findings of the findings area (source certification audit), tied to the audit by
`certification_audit_findings`, owned here, as internal audits tie theirs. A certificate is
one cycle: the decision starts it, its expiry ends it, a renewal is the next certificate
(`previous_id`), and its state changes are kept in `certificate_events`. Every row belongs
to the client: the body's auditors read it through their grant and never write.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class AuditKind(enum.StrEnum):
    STAGE_1 = "stage_1"
    STAGE_2 = "stage_2"
    SURVEILLANCE = "surveillance"
    RECERTIFICATION = "recertification"
    SPECIAL = "special"  # a short-notice or follow-up visit
    TRANSFER = "transfer"  # a new body takes over a valid certificate


class AuditStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"  # its outcome is recorded; findings may still be tied to it
    CANCELLED = "cancelled"


class AuditOutcome(enum.StrEnum):
    READY = "ready"  # stage 1: ready for stage 2
    NOT_READY = "not_ready"  # stage 1 must be held again
    RECOMMENDED = "recommended"  # certification (or its continuation) recommended
    NOT_RECOMMENDED = "not_recommended"


class CertificateState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class CertificationAudit(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "certification_audits"
    __table_args__ = (
        CheckConstraint("planned_end >= planned_start", name="planned_in_order"),
        CheckConstraint("actual_end >= actual_start", name="held_in_order"),
        CheckConstraint(
            "status <> 'held' OR (actual_start IS NOT NULL AND actual_end IS NOT NULL)",
            name="held_dated",
        ),
    )

    certification_body_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(AuditKind, "certification_audit_kind"))
    status: Mapped[str] = mapped_column(
        value_enum(AuditStatus, "certification_audit_status"), default=AuditStatus.PLANNED.value
    )
    planned_start: Mapped[date]
    planned_end: Mapped[date]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    audit_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    lead_auditor_name: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str | None] = mapped_column(
        value_enum(AuditOutcome, "certification_audit_outcome")
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    report_evidence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )


class CertificationAuditProgram(Identified, TenantOwned, Base):
    """A program the audit covers."""

    __tablename__ = "certification_audit_programs"
    __table_args__ = (
        UniqueConstraint("audit_id", "program_id", name="uq_certification_audit_programs"),
    )

    audit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certification_audits.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)


class CertificationAuditFinding(Identified, TenantOwned, Base):
    """A finding the body raised in the audit; a finding comes from one audit."""

    __tablename__ = "certification_audit_findings"
    __table_args__ = (
        UniqueConstraint("finding_id", name="uq_certification_audit_findings_finding"),
    )

    audit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certification_audits.id", ondelete="CASCADE"), index=True
    )
    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))


class Certificate(Identified, Timestamped, TenantOwned, Base):
    """One cycle's certificate; `previous_id` is the certificate it renews or restores."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("previous_id", name="uq_certificates_previous"),
        CheckConstraint("expires_on > decision_on", name="expires_after_decision"),
    )

    certification_body_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(String(100))
    cycle_number: Mapped[int] = mapped_column(SmallInteger)
    scope: Mapped[str] = mapped_column(Text)
    sites: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_on: Mapped[date]
    issued_on: Mapped[date]
    expires_on: Mapped[date]
    state: Mapped[str] = mapped_column(
        value_enum(CertificateState, "certificate_state"), default=CertificateState.ACTIVE.value
    )
    suspended_on: Mapped[date | None]
    previous_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )


class CertificateProgram(Identified, TenantOwned, Base):
    """A program (a standard) the certificate covers: an integrated certificate has several."""

    __tablename__ = "certificate_programs"
    __table_args__ = (
        UniqueConstraint("certificate_id", "program_id", name="uq_certificate_programs"),
    )

    certificate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)


class CertificateEvent(Identified, TenantOwned, Base):
    """A state the certificate entered, when, why and by whom: its history."""

    __tablename__ = "certificate_events"

    certificate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(value_enum(CertificateState, "certificate_state"))
    on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class BodyRules(Identified, Timestamped, TenantOwned, Base):
    """A certification body's own numbers for this client (its contract); what it leaves
    out is the default of `certification.rules.BodyRules`."""

    __tablename__ = "certification_body_rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "certification_body_id", name="uq_certification_body_rules"),
    )

    certification_body_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class ExpectedAudit(Identified, TenantOwned, Base):
    """An audit a live certificate's cycle expects, with its window and the rule behind its
    date. Derived from the certificate and the audits held (`certification/schedule.py`) and
    kept current by the `certification.schedule` job, so reminders and calendars read the
    dates without computing cycles. Its id is stable (certificate, kind, number)."""

    __tablename__ = "certification_expected_audits"
    activity_logged: ClassVar[bool] = False  # derived from logged rows

    certificate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # surveillance | recertification
    number: Mapped[int] = mapped_column(SmallInteger)
    opens_on: Mapped[date]
    due_on: Mapped[date]
    rule: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # rules.ExpectedStatus
    held_on: Mapped[date | None]
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())
