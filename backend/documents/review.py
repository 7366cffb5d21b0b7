"""When a document's approval is in force and when it falls due for review.

Review dates are whole days, derived from the approval in force and the review interval, never
stored; whether one has passed is judged on the tenant's calendar (backend.core.calendar).
The Python rules and their SQL twins live together so they cannot drift; this module depends
on the models only, so the step criteria can use it without the service.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement

from backend.core.calendar import TenantDay, Zone, local_date_sql, zoned_date_sql
from backend.documents.models import ControlledDocument, DocumentStatus


def in_force(document: ControlledDocument) -> bool:
    """An approved version applies: approved once and not withdrawn since."""
    return document.approved_at is not None and document.status != DocumentStatus.OBSOLETE


def next_review_on(document: ControlledDocument, day: TenantDay) -> date | None:
    """The day the version in force must have been reviewed by, counted from the tenant's
    date of its approval; None when nothing is in force."""
    if document.approved_at is None or document.status == DocumentStatus.OBSOLETE:
        return None
    return day.date_of(document.approved_at) + timedelta(days=document.review_interval_days)


def is_review_due(document: ControlledDocument, day: TenantDay) -> bool:
    review_on = next_review_on(document, day)
    return review_on is not None and review_on < day.today


def _in_force_sql() -> ColumnElement[bool]:
    return ControlledDocument.approved_at.is_not(None) & (
        ControlledDocument.status != DocumentStatus.OBSOLETE.value
    )


def review_due_sql(
    on: date | ColumnElement[date], timezone: Zone | None = None
) -> ColumnElement[bool]:
    """The SQL twin of `is_review_due`; `timezone` is the tenant's when the statement has
    joined its organization (otherwise each row looks it up)."""
    approved_at = ControlledDocument.approved_at
    approved_on = (
        local_date_sql(approved_at, ControlledDocument.tenant_id)
        if timezone is None
        else zoned_date_sql(approved_at, timezone)
    )
    return _in_force_sql() & (approved_on + ControlledDocument.review_interval_days < on)


def covers_sql(on: date | ColumnElement[date], timezone: Zone | None = None) -> ColumnElement[bool]:
    """A document covers a mandatory item: an approved version in force, reviewed in time."""
    return _in_force_sql() & ~review_due_sql(on, timezone)
