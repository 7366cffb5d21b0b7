"""People who take part in something (an audit team, a review's attendees): members of the
organization, or people named by whoever recorded them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

import strawberry

from backend.api.context import Info
from backend.api.tenants import User


class NamedRow(Protocol):
    """A row naming a person: a member by user id, or anyone else by name."""

    @property
    def user_id(self) -> uuid.UUID | None: ...

    @property
    def external_name(self) -> str: ...


@strawberry.type(
    description="Someone taking part: a member of the organization, or a person named."
)
class Participant:
    name: str
    user_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The member of the organization, when it is one.")
    async def user(self, info: Info) -> User | None:
        return await User.load(info, self.user_id)

    @classmethod
    async def of_rows(cls, info: Info, rows: Sequence[NamedRow]) -> list[Participant]:
        """A member's name comes from their account (one batched load for all the rows)."""
        members = [row.user_id for row in rows if row.user_id]
        loaded = await info.context.loaders.user.load_many(members)
        names = {user.id: user.name for user in loaded if user}
        return [
            cls(
                name=names.get(row.user_id, "") if row.user_id else row.external_name,
                user_id=row.user_id,
            )
            for row in rows
        ]
