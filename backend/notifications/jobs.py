"""Notifications as background work: reminders written every morning for each tenant, and
their e-mails sent by a job of their own once the reminders are committed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic
from backend.jobs.outbox import enqueue
from backend.notifications.mail import SmtpServer, message, send
from backend.notifications.models import EmailStatus, Notification
from backend.notifications.reminders import remind
from backend.runtime import settings_of
from tenants.models import User

MAIL_BATCH = 200


def _tenant(db: TenantSession) -> uuid.UUID:
    tenant = db.scope.write_tenant
    if tenant is None:  # jobs run in the system scope of one tenant
        raise RuntimeError("a notifications job runs in one tenant's system scope")
    return tenant


def smtp_server(db: TenantSession) -> SmtpServer | None:
    settings = settings_of(db)
    if settings.smtp_url is None:
        return None
    return SmtpServer.parse(settings.smtp_url.get_secret_value(), settings.smtp_from)


async def _remind(db: TenantSession, _payload: dict[str, Any]) -> None:
    tenant = _tenant(db)
    if await remind(db, tenant, mail=smtp_server(db) is not None):
        await enqueue(db, MAIL.name, tenant)


async def _mail(db: TenantSession, _payload: dict[str, Any]) -> None:
    """Send the tenant's pending reminder e-mails. Without an SMTP server any more, or for a
    person the tenant cannot address (not a member: a consultant's account is the
    consultancy's), the reminder stays in the app only."""
    server = smtp_server(db)
    rows = (
        await db.execute(
            select(Notification, User.email)
            .outerjoin(User, User.id == Notification.user_id)
            .where(Notification.email_status == EmailStatus.PENDING.value)
            .order_by(Notification.created_at, Notification.id)
            .limit(MAIL_BATCH)
            .with_for_update(of=Notification, skip_locked=True)
        )
    ).all()
    addressed = [(row, email) for row, email in rows if email is not None and server is not None]
    if server is not None and addressed:
        messages = [message(server, email, notification) for notification, email in addressed]
        await asyncio.to_thread(send, server, messages)
    sent = {notification.id for notification, _ in addressed}
    for notification, _email in rows:
        status = EmailStatus.SENT if notification.id in sent else EmailStatus.NONE
        notification.email_status = status.value
    if len(rows) == MAIL_BATCH:
        await enqueue(db, MAIL.name, _tenant(db))


REMIND = Job("notifications.remind", _remind, time_limit_seconds=600)
MAIL = Job("notifications.mail", _mail, time_limit_seconds=300)
DAILY = Periodic("notifications.daily", REMIND.name, "0 5 * * *")
