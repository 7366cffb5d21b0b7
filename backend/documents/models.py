"""Controlled documents, their approved versions (files through the evidence store) and the
requirements they serve."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped, value_enum


class DocumentType(enum.StrEnum):
    POLICY = "policy"
    PROCEDURE = "procedure"
    WORK_INSTRUCTION = "work_instruction"
    RECORD = "record"
    MANUAL = "manual"
    FORM = "form"


class DocumentStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    OBSOLETE = "obsolete"


class ControlledDocument(Identified, Timestamped, TenantOwned, Base):
    __tablename__ = "controlled_documents"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_controlled_documents_code"),)

    type: Mapped[str] = mapped_column(value_enum(DocumentType, "document_type"))
    code: Mapped[str] = mapped_column(String(40))  # the organization's own reference, "QP-04"
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_interval_days: Mapped[int] = mapped_column(default=365)
    status: Mapped[str] = mapped_column(
        value_enum(DocumentStatus, "document_status"), default=DocumentStatus.DRAFT.value
    )
    approved_at: Mapped[datetime | None]  # of the version in force; the review clock starts here


class DocumentVersion(Identified, TenantOwned, Base):
    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_document_versions_number"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("controlled_documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(SmallInteger)
    evidence_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("evidence_versions.id", ondelete="SET NULL")
    )
    change_summary: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DocumentRequirement(Identified, TenantOwned, Base):
    """A document serves a requirement of a program (and may cover its documented information)."""

    __tablename__ = "document_requirements"
    __table_args__ = (
        UniqueConstraint(
            "document_id", "program_id", "clause_id", name="uq_document_requirements_link"
        ),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("controlled_documents.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clauses.id"), index=True)
