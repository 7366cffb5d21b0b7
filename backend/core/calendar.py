"""What "today" means in a tenant: the date on the organization's own calendar.

A due date passes at the tenant's midnight, not at UTC's, and the day something happened
(an approval, a confirmation) is the tenant's date of that instant. Every area asks here, in
Python or, through the SQL twins, inside the statement that needs it.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, date, datetime

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


def today_sql(tenant_id: uuid.UUID | QueryableAttribute[uuid.UUID]) -> ColumnElement[date]:
    """The SQL twin of `local_today` for a tenant (or each row's, given its tenant column),
    computed inside the statement that needs it from the database's clock and the
    organization's time zone, so it costs no query of its own."""
    timezone = select(Organization.timezone).where(Organization.id == tenant_id)
    return cast(func.timezone(timezone.scalar_subquery(), func.now()), Date)
