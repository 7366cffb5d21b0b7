"""The demo's reminders: Acme's owner chooses how to be reminded, the reminder job runs for
Acme as the worker would run it, and the oldest reminder is read, so the notification list
has read and unread rows over what the other demo modules left falling due.

Written through the notifications service and the job's own handler, so every rule
applies; seeding again writes nothing new (preferences are set again to the same, reminders
are idempotent, a read reminder stays read).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.core.access import Actor
from backend.notifications.jobs import REMIND
from backend.notifications.models import Notification, ReminderKind
from backend.notifications.service import Preference, mark_read, update_preferences
from backend.runtime import Runtime
from tenants.roles import Role
from tenants.scope import TenantScope

CHOICES = (
    Preference(ReminderKind.EVIDENCE_RENEWAL_DUE, in_app=True, email=True),
    Preference(ReminderKind.TRAINING_SESSION, in_app=False, email=True),  # by e-mail only
)


async def seed_notifications(runtime: Runtime, client_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    owner = Actor(owner_id, client_id, Role.OWNER)
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        await update_preferences(db, owner, CHOICES)
    async with runtime.acting_in(client_id) as db:
        await REMIND.handler(db, {})
        await db.commit()
    async with runtime.sessions() as db:
        await db.set_scope(TenantScope(owner_id, frozenset({client_id}), client_id))
        oldest = await db.scalar(
            select(Notification.id)
            .where(Notification.user_id == owner_id, Notification.in_app.is_(True))
            .order_by(Notification.due_on, Notification.id)
            .limit(1)
        )
        if oldest is not None:
            await mark_read(db, owner, [oldest])
