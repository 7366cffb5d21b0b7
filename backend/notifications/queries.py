"""Batch loads of notifications: a person's own only, even by global id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from backend.db.session import TenantSession
from backend.notifications.models import Notification


async def own_by_id(db: TenantSession, ids: Sequence[uuid.UUID]) -> list[Notification | None]:
    """Notifications by id, None for any that is not the session's user's (row-level
    security shows the tenant's, and another member's reminders are not for them) or is not
    shown in the app (e-mail only), as the list leaves those out too."""
    rows = await db.scalars(
        select(Notification).where(
            Notification.id.in_(ids),
            Notification.user_id == db.scope.user_id,
            Notification.in_app.is_(True),
        )
    )
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]
