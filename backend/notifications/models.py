"""Notifications, who wants which reminders how, and the calendar feeds of people.

A notification is one reminder for one person about one object falling due. Its unique key
(person, object, kind, due date, lead) makes generating reminders idempotent: a re-run of the
same day, or a job delivered twice, writes nothing new. Whether it is shown in the app and
whether it is e-mailed follow the person's preference when it was written.

A calendar feed belongs to a person, not to an organization (it spans every organization
the person reads), so it carries no tenant: row-level security keys it on the user, or on the
digest of the token presented (backend/notifications/rls.py). Its token is an HMAC of a
random nonce under the server's signing secret: the row keeps the nonce and the token's
SHA-256, so the database alone yields no working URL, and the server can show the person
their URL again.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, Identified, TenantOwned, value_enum


class ReminderKind(enum.StrEnum):
    """What falls due; a person chooses per kind how to be reminded."""

    ACTION_DUE = "action_due"
    FINDING_DUE = "finding_due"
    DOCUMENT_REVIEW_DUE = "document_review_due"
    EVIDENCE_RENEWAL_DUE = "evidence_renewal_due"
    TRAINING_SESSION = "training_session"
    AUDIT = "audit"


class EmailStatus(enum.StrEnum):
    NONE = "none"  # not wanted, or no SMTP server configured when it was written
    PENDING = "pending"
    SENT = "sent"


class Notification(Identified, TenantOwned, Base):
    __tablename__ = "notifications"
    activity_logged: ClassVar[bool] = False  # reminders are derived from logged rows
    __table_args__ = (
        UniqueConstraint(
            "user_id", "subject_id", "kind", "due_on", "lead_days", name="uq_notifications_reminder"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(value_enum(ReminderKind, "reminder_kind"))
    subject_type: Mapped[str] = mapped_column(String(60))  # its GraphQL type: "Action", ...
    subject_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    lead_days: Mapped[int] = mapped_column(SmallInteger)  # days before due; -1: overdue
    in_app: Mapped[bool]
    email_status: Mapped[str] = mapped_column(value_enum(EmailStatus, "notification_email_status"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[datetime | None]


class NotificationPreference(Identified, TenantOwned, Base):
    """How a person wants one kind of reminder in one organization; none stored: both."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "kind", name="uq_notification_preferences"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(value_enum(ReminderKind, "reminder_kind"))
    in_app: Mapped[bool]
    email: Mapped[bool]


class CalendarFeed(Base):
    """A person's calendar feed; resetting draws a new nonce, which revokes the old URL."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[bytes] = mapped_column(LargeBinary(32))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
