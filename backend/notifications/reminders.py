"""Reminders before due dates, written for one tenant by a periodic job.

Every source below reads another area's *models* (never its service) for what is still to
be done and the day it falls due. A reminder is due at each lead time (`LEAD_DAYS`: days
before the due date, -1 for the day after, when it is overdue); a run writes the latest lead
time reached, so a day the job did not run is caught up with one reminder rather than
several. Rows are inserted with ON CONFLICT DO NOTHING on the reminder's unique key, so a
second run, or a redelivered job, writes nothing.

Who is reminded: the object's owner (the lead auditor of an audit); with none, the tenant's
owners and admins. Each person's preference for the kind decides whether the reminder is
shown in the app and whether it is e-mailed; with both off, nothing is written for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    Uuid,
    cast,
    func,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import insert

from backend.audits.models import Audit, AuditStatus
from backend.certification.models import AuditStatus as CertificationAuditStatus
from backend.certification.models import CertificationAudit, ExpectedAudit
from backend.core.calendar import TenantDay, local_date_sql
from backend.core.freshness import renewal_due, renewed_on
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentStatus
from backend.evidence.models import EvidenceItem, EvidenceVersion, VersionStatus
from backend.findings.models import Finding, FindingStatus
from backend.notifications.models import (
    EmailStatus,
    Notification,
    NotificationPreference,
    ReminderKind,
)
from backend.planning.models import FINISHED_ACTION_STATUSES, Action
from backend.training.models import SessionStatus, TrainingSession
from tenants.models import Membership, Organization
from tenants.roles import Role

LEAD_DAYS: tuple[int, ...] = (14, 7, 1, -1)
"""When to remind, in days before the due date; -1 is the day after it (overdue)."""
FALLBACK_ROLES = (Role.OWNER.value, Role.ADMIN.value)
INSERT_BATCH = 1_000  # rows per INSERT, well within the driver's 32,767 parameters


@dataclass(frozen=True)
class Due:
    """Something still to do, the day it falls due and who answers for it."""

    kind: ReminderKind
    subject_type: str
    subject_id: uuid.UUID
    title: str
    due_on: date
    owner_id: uuid.UUID | None


def lead_reached(due_on: date, today: date, leads: Sequence[int] = LEAD_DAYS) -> int | None:
    """The latest lead time reached on `today` (None while none is)."""
    reached = [lead for lead in leads if due_on - timedelta(days=lead) <= today]
    return min(reached, default=None)


# --- sources: one statement each, over the models of the area that owns the object --------


Column = SQLColumnExpression[Any]


@dataclass(frozen=True)
class Source:
    """What an area's table contributes: (id, title, due day, owner) of what is still to do."""

    kind: ReminderKind
    subject_type: str
    columns: tuple[Column, Column, Column, Column]  # id, title, due day, owner
    still_to_do: tuple[ColumnElement[bool], ...]

    def due_by(self, last: date) -> Select[Any]:
        return select(*self.columns).where(*self.still_to_do, self.columns[2] <= last)

    def due_between(self, first: date, last: date) -> Select[Any]:
        return self.due_by(last).where(self.columns[2] >= first)


_APPROVED_ON = local_date_sql(ControlledDocument.approved_at, ControlledDocument.tenant_id)
_NOBODY = cast(null(), Uuid)  # a training session names no owner: its tenant's owners, admins

SOURCES: tuple[Source, ...] = (
    Source(
        ReminderKind.ACTION_DUE,
        "Action",
        (Action.id, Action.title, Action.due_date, Action.owner_id),
        (Action.due_date.is_not(None), Action.status.not_in(FINISHED_ACTION_STATUSES)),
    ),
    Source(
        ReminderKind.FINDING_DUE,
        "Finding",
        (Finding.id, Finding.reference, Finding.due_date, Finding.owner_id),
        (Finding.due_date.is_not(None), Finding.status != FindingStatus.CLOSED.value),
    ),
    # The documents area's rule: due `review_interval_days` after the approval in force,
    # counted from the tenant's date of the approval.
    Source(
        ReminderKind.DOCUMENT_REVIEW_DUE,
        "ControlledDocument",
        (
            ControlledDocument.id,
            ControlledDocument.code + " " + ControlledDocument.title,
            _APPROVED_ON + ControlledDocument.review_interval_days,
            ControlledDocument.owner_id,
        ),
        (
            ControlledDocument.approved_at.is_not(None),
            ControlledDocument.status != DocumentStatus.OBSOLETE.value,
        ),
    ),
    Source(
        ReminderKind.TRAINING_SESSION,
        "TrainingSession",
        (TrainingSession.id, TrainingSession.topic, TrainingSession.held_on, _NOBODY),
        (TrainingSession.status == SessionStatus.PLANNED.value,),
    ),
    Source(
        ReminderKind.AUDIT,
        "Audit",
        (Audit.id, Audit.reference + " " + Audit.title, Audit.planned_start, Audit.lead_auditor_id),
        (Audit.status == AuditStatus.PLANNED.value,),
    ),
    Source(
        ReminderKind.AUDIT,
        "CertificationAudit",
        (
            CertificationAudit.id,
            cast(CertificationAudit.kind, String) + " certification audit",
            CertificationAudit.planned_start,
            _NOBODY,
        ),
        (CertificationAudit.status == CertificationAuditStatus.PLANNED.value,),
    ),
    # What a certificate's cycle expects and nobody has held yet, by the date it is due.
    Source(
        ReminderKind.AUDIT,
        "ExpectedCertificationAudit",
        (ExpectedAudit.id, ExpectedAudit.rule, ExpectedAudit.due_on, _NOBODY),
        (ExpectedAudit.held_on.is_(None),),
    ),
)


async def _evidence(db: TenantSession, day: TenantDay, horizon: date) -> list[Due]:
    """Evidence renewals, by the freshness rule (backend/core/freshness.py): due on the
    last day the item is fresh, counted from its last confirmed version."""
    confirmed = func.max(EvidenceVersion.confirmed_at)
    rows = await db.execute(
        select(
            EvidenceItem.id,
            EvidenceItem.title,
            EvidenceItem.owner_id,
            EvidenceItem.valid_until,
            EvidenceItem.review_interval_days,
            confirmed,
        )
        .join(EvidenceVersion, EvidenceVersion.evidence_id == EvidenceItem.id)
        .where(
            EvidenceItem.deleted_at.is_(None),
            EvidenceVersion.status == VersionStatus.AVAILABLE.value,
        )
        .group_by(EvidenceItem.id)
    )
    found = []
    for item_id, title, owner_id, valid_until, interval, last in rows:
        renewed = renewed_on(last, day)
        due = renewal_due(valid_until, interval, renewed) if renewed else None
        if due is not None and due <= horizon:
            kind = ReminderKind.EVIDENCE_RENEWAL_DUE
            found.append(Due(kind, "EvidenceItem", item_id, title, due, owner_id))
    return found


async def due_soon(db: TenantSession, day: TenantDay) -> list[Due]:
    """Everything of the tenant still to do whose first reminder has come."""
    horizon = day.today + timedelta(days=max(LEAD_DAYS))
    found = await _evidence(db, day, horizon)
    for source in SOURCES:
        for subject_id, title, due_on, owner_id in await db.execute(source.due_by(horizon)):
            found.append(Due(source.kind, source.subject_type, subject_id, title, due_on, owner_id))
    return found


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who answers for objects without an owner, and how each person wants each kind."""

    fallback: list[uuid.UUID]
    preferences: dict[tuple[uuid.UUID, str], tuple[bool, bool]]

    def channels(self, user_id: uuid.UUID, kind: ReminderKind) -> tuple[bool, bool]:
        """(in app, e-mail); both unless the person chose otherwise."""
        return self.preferences.get((user_id, kind.value), (True, True))


async def _audience(db: TenantSession, tenant_id: uuid.UUID) -> Audience:
    fallback = await db.scalars(
        select(Membership.user_id)
        .where(Membership.tenant_id == tenant_id, Membership.role.in_(FALLBACK_ROLES))
        .order_by(Membership.user_id)
    )
    preferences = await db.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.kind,
            NotificationPreference.in_app,
            NotificationPreference.email,
        )
    )
    return Audience(
        list(fallback), {(user, kind): (in_app, email) for user, kind, in_app, email in preferences}
    )


def _rows(
    tenant_id: uuid.UUID, due: Iterable[Due], today: date, audience: Audience, mail: bool
) -> list[dict[str, Any]]:
    rows = []
    for item in due:
        lead = lead_reached(item.due_on, today)
        if lead is None:
            continue
        for user_id in [item.owner_id] if item.owner_id else audience.fallback:
            in_app, email = audience.channels(user_id, item.kind)
            mailed = email and mail
            if not (in_app or mailed):
                continue
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "kind": item.kind.value,
                    "subject_type": item.subject_type,
                    "subject_id": item.subject_id,
                    "title": item.title[:300],
                    "due_on": item.due_on,
                    "lead_days": lead,
                    "in_app": in_app,
                    "email_status": (EmailStatus.PENDING if mailed else EmailStatus.NONE).value,
                }
            )
    return rows


async def remind(db: TenantSession, tenant_id: uuid.UUID, *, mail: bool) -> int:
    """Write the reminders due in the tenant today; how many new ones wait for e-mail. With
    `mail` (an SMTP server is configured) the e-mails people want are marked pending."""
    timezone = await db.scalar(select(Organization.timezone).where(Organization.id == tenant_id))
    day = TenantDay.now(timezone or "UTC")
    audience = await _audience(db, tenant_id)
    rows = _rows(tenant_id, await due_soon(db, day), day.today, audience, mail)
    to_mail = 0
    for start in range(0, len(rows), INSERT_BATCH):
        written = await db.scalars(
            insert(Notification)
            .values(rows[start : start + INSERT_BATCH])
            .on_conflict_do_nothing(constraint="uq_notifications_reminder")
            .returning(Notification.email_status)
        )
        to_mail += list(written).count(EmailStatus.PENDING.value)
    return to_mail
