"""Whether evidence still proves anything today: derived on every read, never stored.

An item is renewed when a new version of it is confirmed. It goes stale when its
`valid_until` date has passed or, with a review interval, when the review that interval asks
for after the last renewal is overdue; within 30 days of either date it is expiring soon. An
item with no available version proves nothing yet: missing. A requirement is as fresh as the
freshest evidence linked to it, and missing when none is.

`freshness` decides in Python and `freshness_sql` is its twin for filtering lists in the
database; the tests hold them to the same answers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Date, case, cast, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from backend.core.calendar import TenantDay, local_date_sql
from backend.evidence.models import EvidenceItem, EvidenceVersion, VersionStatus

SOON = timedelta(days=30)


class Freshness(enum.StrEnum):
    """Best first: a requirement takes the best of its evidence."""

    CURRENT = "current"
    EXPIRING_SOON = "expiring_soon"
    STALE = "stale"
    MISSING = "missing"


def renewed_on(confirmed_at: datetime | None, day: TenantDay) -> date | None:
    """The tenant's calendar day a version was confirmed, which its review interval counts
    from: the same calendar as the tenant's today, here and in the SQL twin."""
    return day.date_of(confirmed_at) if confirmed_at else None


def freshness(
    valid_until: date | None,
    review_interval_days: int | None,
    renewed: date | None,
    today: date,
) -> Freshness:
    """One item's freshness on `today`, given the day its current version was confirmed."""
    if renewed is None:
        return Freshness.MISSING
    deadlines = [valid_until]
    if review_interval_days is not None:
        deadlines.append(renewed + timedelta(days=review_interval_days))
    known = [deadline for deadline in deadlines if deadline is not None]
    if any(deadline < today for deadline in known):
        return Freshness.STALE
    if any(deadline <= today + SOON for deadline in known):
        return Freshness.EXPIRING_SOON
    return Freshness.CURRENT


def best(found: Iterable[Freshness]) -> Freshness:
    """The freshest of several (a requirement's evidence); missing when there is none."""
    order = list(Freshness)
    return min(found, key=order.index, default=Freshness.MISSING)


def freshness_sql(
    valid_until: InstrumentedAttribute[date | None],
    review_interval_days: InstrumentedAttribute[int | None],
    last_confirmed: ColumnElement[datetime | None],
    today: date | ColumnElement[date],
) -> ColumnElement[str]:
    """`freshness` as a SQL expression over an item's columns and its last confirmation,
    read as a date in the item's tenant; `today` may itself be SQL (the tenant's date
    computed in the statement)."""
    renewed = local_date_sql(last_confirmed, EvidenceItem.tenant_id)
    review_due = renewed + review_interval_days  # NULL without an interval, like a missing date
    soon = (
        cast(today + SOON, Date)
        if isinstance(today, ColumnElement)
        else literal(today + SOON, Date)
    )
    return case(
        (last_confirmed.is_(None), Freshness.MISSING.value),
        ((valid_until < today) | (review_due < today), Freshness.STALE.value),
        ((valid_until <= soon) | (review_due <= soon), Freshness.EXPIRING_SOON.value),
        else_=Freshness.CURRENT.value,
    )


def last_confirmed_sql() -> ColumnElement[datetime | None]:
    """When the item of the enclosing statement last had a version confirmed: the renewal
    its freshness counts from (NULL when it has none available)."""
    return (
        select(func.max(EvidenceVersion.confirmed_at))
        .where(
            EvidenceVersion.evidence_id == EvidenceItem.id,
            EvidenceVersion.status == VersionStatus.AVAILABLE.value,
        )
        .scalar_subquery()
    )
