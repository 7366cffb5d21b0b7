"""Names of the people a report mentions (lead auditor, chair, owners of actions), read in
one statement per report rather than one per row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from backend.db.session import TenantSession
from tenants.models import User


@dataclass(frozen=True)
class Names:
    by_id: dict[uuid.UUID, str]

    def of(self, user_id: uuid.UUID | None) -> str:
        """The member's name; empty for nobody (a cleared or deleted user)."""
        return "" if user_id is None else self.by_id.get(user_id, "")


async def names(db: TenantSession, user_ids: Iterable[uuid.UUID | None]) -> Names:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return Names({})
    rows = await db.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return Names({row.id: row.name for row in rows})


def words(value: str) -> str:
    """An enum value as a reader says it: "minor_nonconformity" is "minor nonconformity"."""
    return value.replace("_", " ")
