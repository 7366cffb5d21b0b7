"""Readiness snapshots (the history of a program's score) and tenants' weight overrides."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, Timestamped


class ReadinessSnapshot(Identified, TenantOwned, Base):
    """A program's score as computed at one moment; never changed afterwards."""

    __tablename__ = "readiness_snapshots"
    activity_logged: ClassVar[bool] = False  # derived or machinery: not in the log
    __table_args__ = (Index("ix_readiness_snapshots_program_time", "program_id", "computed_at"),)

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    score: Mapped[float]
    level: Mapped[str] = mapped_column(String(40))
    # Components, clause groups and the first blockers, as the score reported them.
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReadinessWeights(Identified, Timestamped, TenantOwned, Base):
    """An organization's own weights for the programs of one standard: {component: weight}."""

    __tablename__ = "readiness_weights"
    __table_args__ = (UniqueConstraint("tenant_id", "standard_id", name="uq_readiness_weights"),)

    standard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standards.id"))
    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
