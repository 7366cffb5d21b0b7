"""The activity log: every change of a tenant's data, one hash-chained entry per change.

Entries are append-only (the database refuses UPDATE and DELETE to the app role) and form
one chain per tenant: each entry's hash covers the previous entry's hash and a canonical
encoding of its own fields (`chain.py`). `activity_heads` holds each tenant's last sequence
number and hash; writers lock that row, so a tenant's chain never forks. Verification
results are kept, so an operator sees when and where a chain broke.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned


class ActivityEntry(Identified, TenantOwned, Base):
    __tablename__ = "activity_log"
    __table_args__ = (Index("uq_activity_log_seq", "tenant_id", "seq", unique=True),)
    activity_logged: ClassVar[bool] = False

    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(120))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(200), index=True)
    operation: Mapped[str] = mapped_column(String(20))  # insert | update | delete | event
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class ActivityHead(Base):
    """Each tenant's chain end. Its row lock serializes the tenant's writers; it is read and
    written by the recorder's own statements only (under row-level security like the rest)."""

    __tablename__ = "activity_heads"
    activity_logged: ClassVar[bool] = False

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class ActivityVerification(Identified, TenantOwned, Base):
    """One check of a tenant's chain: how far it holds and, if it breaks, where and why."""

    __tablename__ = "activity_verifications"
    activity_logged: ClassVar[bool] = False

    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int] = mapped_column(BigInteger)
    broken_at_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
