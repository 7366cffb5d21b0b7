"""GraphQL types, queries and mutations of notifications and the calendar feed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.loaders import Batch
from backend.api.mutations import mutation, node_uuid
from backend.api.nodes import LoadedNode
from backend.api.pagination import Connection, paginate
from backend.api.tenants import Organization
from backend.core.errors import invalid
from backend.notifications import calendar, models, queries, service
from backend.notifications.models import ReminderKind as ReminderKindValue

ReminderKind = strawberry.enum(
    ReminderKindValue, name="ReminderKind", description="What a reminder is about."
)


@strawberry.type(description="A reminder of something you answer for, falling due.")
class Notification(LoadedNode, relay.Node):
    loader: ClassVar[Batch] = queries.own_by_id
    id: relay.NodeID[str]
    kind: ReminderKind  # type: ignore[valid-type]
    title: str
    due_on: date
    lead_days: int = strawberry.field(description="Days before the due date; -1: overdue.")
    subject_id: strawberry.ID = strawberry.field(
        description="The global id of what falls due, for node(id:)."
    )
    subject_type: str = strawberry.field(description="Its GraphQL type: Action, Finding, ...")
    read_at: datetime | None
    created_at: datetime
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: models.Notification) -> Notification:
        return cls(
            id=str(row.id),
            kind=ReminderKindValue(row.kind),
            title=row.title,
            due_on=row.due_on,
            lead_days=row.lead_days,
            subject_id=strawberry.ID(calendar.global_id(row.subject_type, row.subject_id)),
            subject_type=row.subject_type,
            read_at=row.read_at,
            created_at=row.created_at,
            tenant_id=row.tenant_id,
        )

    @strawberry.field(description="Read (marked with markNotificationsRead).")
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        row = await info.context.loaders.organization.load(self.tenant_id)
        return None if row is None else Organization.from_model(row)


@strawberry.type(description="How you are reminded of one kind, in the organization you act in.")
class NotificationPreference:
    kind: ReminderKind  # type: ignore[valid-type]
    in_app: bool
    email: bool = strawberry.field(description="Sent only where an SMTP server is configured.")

    @classmethod
    def of(cls, preference: service.Preference) -> NotificationPreference:
        return cls(kind=preference.kind, in_app=preference.in_app, email=preference.email)


def _secret(info: Info) -> str:
    return info.context.runtime.settings.evidence_signing_secret.get_secret_value()


def _url(info: Info, token: str) -> str:
    return calendar.feed_url(info.context.runtime.settings.public_url, token)


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="Your notifications in the organizations you read, newest first.")
    async def notifications(
        self,
        info: Info,
        *,
        unread: bool | None = None,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        where = service.NotificationFilter(
            user_id=info.context.user_id, unread=unread, organization=organization_id(organization)
        )
        keys = (models.Notification.created_at, models.Notification.id)
        statement = service.notifications_statement(where)
        page = await paginate(info.context.db, statement, keys, first, after, descending=True)
        return Connection[Notification].from_page(page, Notification.from_model)

    @strawberry.field(
        description="Your reminder channels per kind in the organization you act in.",
        metadata=at_most(len(ReminderKindValue)),
    )
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        found = await service.preferences(info.context.db, actor_of(info))
        return [NotificationPreference.of(each) for each in found]

    @strawberry.field(
        description="Your calendar feed (ICS) of what falls due in every organization you"
        " read; null until resetCalendarFeed first makes one. Keep it private."
    )
    async def calendar_feed_url(self, info: Info) -> str | None:
        token = await calendar.current_token(info.context.db, info.context.user_id, _secret(info))
        return None if token is None else _url(info, token)


@strawberry.input(description="Name the notifications (ids), or all of yours (all: true).")
class MarkNotificationsReadInput:
    ids: list[relay.GlobalID] | None = None
    all: bool = False


@strawberry.type
class MarkNotificationsReadPayload:
    marked_count: int = strawberry.field(
        default=0, description="How many were unread and are read now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class NotificationPreferenceInput:
    kind: ReminderKind  # type: ignore[valid-type]
    in_app: bool
    email: bool


@strawberry.input(description="The kinds named change; the others keep their channels.")
class UpdateNotificationPreferencesInput:
    preferences: list[NotificationPreferenceInput]


@strawberry.type
class NotificationPreferencesPayload:
    preferences: list[NotificationPreference] = strawberry.field(
        default_factory=list, metadata=at_most(len(ReminderKindValue))
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CalendarFeedPayload:
    url: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _ids(input: MarkNotificationsReadInput) -> list[uuid.UUID] | None:
    if input.all == (input.ids is not None):
        raise invalid("Name the notifications (ids) or all of them (all: true), not both.", ["ids"])
    if input.ids is None:
        return None
    # One past the limit is enough for the service to refuse a longer list.
    return [node_uuid(value, "Notification", "ids") for value in input.ids[: service.MAX_IDS + 1]]


@strawberry.type
class NotificationMutation:
    @mutation(description="Mark notifications read, in the organization you act in.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        marked = await service.mark_read(info.context.db, actor_of(info), _ids(input))
        return MarkNotificationsReadPayload(marked_count=marked)

    @mutation(description="Choose, per kind, whether reminders show in the app and are e-mailed.")
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        changes = [
            service.Preference(ReminderKindValue(each.kind), each.in_app, each.email)
            for each in input.preferences
        ]
        found = await service.update_preferences(info.context.db, actor_of(info), changes)
        return NotificationPreferencesPayload(
            preferences=[NotificationPreference.of(each) for each in found]
        )

    @mutation(description="A new calendar feed URL; the former one stops working at once.")
    async def reset_calendar_feed(self, info: Info) -> CalendarFeedPayload:
        token = await calendar.reset(info.context.db, info.context.user_id, _secret(info))
        return CalendarFeedPayload(url=_url(info, token))
