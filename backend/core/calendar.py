"""What "today" means in a tenant: the date on the organization's own calendar.

A due date passes at the tenant's midnight, not at UTC's, and the day something happened
(an approval, a confirmation) is the tenant's date of that instant. Every area asks here, in
Python or, through the SQL twins, inside the statement that needs it.
"""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.orm import QueryableAttribute

from tenants.models import Organization


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date where the tenant is."""
    return local_date(now or datetime.now(UTC), timezone)


def local_date(instant: datetime, timezone: str) -> date:
    """The tenant's calendar date of an instant."""
    return instant.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def is_overdue(due_date: date | None, finished: bool, today: date) -> bool:
    return due_date is not None and due_date < today and not finished


@dataclass(frozen=True)
class TenantDay:
    """A tenant's today with its time zone, so the dates of past instants (a renewal, an
    approval) are read on the same calendar as today itself."""

    today: date
    timezone: str

    @classmethod
    def now(cls, timezone: str) -> TenantDay:
        return cls(local_today(timezone), timezone)

    def date_of(self, instant: datetime) -> date:
        return local_date(instant, self.timezone)


Tenant = uuid.UUID | QueryableAttribute[uuid.UUID]
Zone = ColumnElement[str] | QueryableAttribute[str]  # a joined organization's time zone


def local_date_sql(
    instant: ColumnElement[Any] | QueryableAttribute[Any], tenant_id: Tenant
) -> ColumnElement[date]:
    """The SQL twin of `local_date` for a tenant (or each row's, given its tenant column),
    computed inside the statement that needs it from the organization's time zone, so it
    costs no query of its own."""
    timezone = select(Organization.timezone).where(Organization.id == tenant_id)
    return zoned_date_sql(instant, timezone.scalar_subquery())


def zoned_date_sql(
    instant: ColumnElement[Any] | QueryableAttribute[Any], timezone: Zone
) -> ColumnElement[date]:
    """`local_date_sql` for a statement that has joined the organization already: reading
    its time zone column saves a lookup for every row that asks."""
    return cast(func.timezone(timezone, instant), Date)


def today_sql(tenant_id: Tenant) -> ColumnElement[date]:
    """The SQL twin of `local_today`, from the database's clock."""
    return local_date_sql(func.now(), tenant_id)
