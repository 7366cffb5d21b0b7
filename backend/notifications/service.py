"""A person's notifications and reminder preferences.

Notifications and preferences are rows of one organization, under the same row-level
security as everything else: a person reads their own in every organization they read, and
changes them (marks read, chooses channels) in the organization they act in, with a role
that may write there. Certification-body auditors and viewers read only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert

from backend.core.access import Actor, require_writer
from backend.core.errors import invalid, not_found
from backend.db.session import TenantSession
from backend.notifications.models import Notification, NotificationPreference, ReminderKind

MAX_IDS = 100


@dataclass(frozen=True)
class NotificationFilter:
    user_id: uuid.UUID
    unread: bool | None = None
    organization: uuid.UUID | None = None


def notifications_statement(where: NotificationFilter) -> Select[Notification]:
    """The person's own notifications shown in the app, in the organizations they read."""
    statement = select(Notification).where(
        Notification.user_id == where.user_id, Notification.in_app.is_(True)
    )
    if where.unread is not None:
        read = Notification.read_at.is_(None)
        statement = statement.where(read if where.unread else ~read)
    if where.organization is not None:
        statement = statement.where(Notification.tenant_id == where.organization)
    return statement


async def mark_read(db: TenantSession, actor: Actor, ids: Sequence[uuid.UUID] | None) -> int:
    """Mark the given notifications of the person (or, with None, all of theirs in the
    organization they act in) read; how many were unread. Those read already keep their
    time."""
    require_writer(db, actor, actor.tenant_id, "Organization")
    mine = [Notification.user_id == actor.user_id, Notification.tenant_id == actor.tenant_id]
    if ids is not None:
        await _check_ids(db, actor, ids)
        mine.append(Notification.id.in_(ids))
    marked = await db.scalars(
        update(Notification)
        .where(*mine, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    count = len(list(marked))
    await db.commit()
    return count


async def _check_ids(db: TenantSession, actor: Actor, ids: Sequence[uuid.UUID]) -> None:
    if not 1 <= len(ids) <= MAX_IDS:
        raise invalid(f"Name 1 to {MAX_IDS} notifications, or all of them.", ["ids"])
    rows = await db.execute(
        select(Notification.id, Notification.tenant_id).where(
            Notification.id.in_(ids), Notification.user_id == actor.user_id
        )
    )
    found: dict[uuid.UUID, uuid.UUID] = {row[0]: row[1] for row in rows}
    for position, notification_id in enumerate(ids):
        tenant = found.get(notification_id)
        if tenant is None:
            raise not_found("Notification", ["ids", str(position)])
        require_writer(db, actor, tenant, "Notification")


@dataclass(frozen=True)
class Preference:
    kind: ReminderKind
    in_app: bool
    email: bool


async def preferences(db: TenantSession, actor: Actor) -> list[Preference]:
    """How the person is reminded of each kind in the organization they act in (both
    channels unless they chose otherwise)."""
    stored = {
        row.kind: row
        for row in await db.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id == actor.user_id,
                NotificationPreference.tenant_id == actor.tenant_id,
            )
        )
    }
    return [
        Preference(kind, stored[kind].in_app, stored[kind].email)
        if kind in stored
        else Preference(kind, True, True)
        for kind in ReminderKind
    ]


async def update_preferences(
    db: TenantSession, actor: Actor, changes: Sequence[Preference]
) -> list[Preference]:
    """Set the channels of the kinds named; the others keep theirs."""
    require_writer(db, actor, actor.tenant_id, "Organization")
    kinds = [change.kind for change in changes]
    if not kinds or len(set(kinds)) != len(kinds):
        raise invalid("Name each kind of reminder at most once, and at least one.", ["preferences"])
    upsert = insert(NotificationPreference).values(
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": actor.tenant_id,
                "user_id": actor.user_id,
                "kind": change.kind.value,
                "in_app": change.in_app,
                "email": change.email,
            }
            for change in changes
        ]
    )
    await db.execute(
        upsert.on_conflict_do_update(
            constraint="uq_notification_preferences",
            set_={"in_app": upsert.excluded.in_app, "email": upsert.excluded.email},
        )
    )
    await db.commit()
    return await preferences(db, actor)
