"""Whether evidence still proves anything on a given day: the rule, with no database.

An item is renewed when a new version of it is confirmed. It goes stale when its
`valid_until` date has passed or, with a review interval, when the review that interval asks
for after the last renewal is overdue; within 30 days of either date it is expiring soon. An
item with no available version proves nothing yet: missing. A requirement is as fresh as the
freshest evidence linked to it, and missing when none is.

It lives in the core because more than the evidence area judges freshness (the readiness
score does too); `backend/evidence/freshness.py` keeps its SQL twin.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from backend.core.calendar import TenantDay

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
    due = renewal_due(valid_until, review_interval_days, renewed)
    if due is not None and due < today:
        return Freshness.STALE
    if due is not None and due <= today + SOON:
        return Freshness.EXPIRING_SOON
    return Freshness.CURRENT


def renewal_due(
    valid_until: date | None, review_interval_days: int | None, renewed: date
) -> date | None:
    """The last day an item renewed on `renewed` is still fresh: the earlier of its validity
    and its next review; None when neither applies (it never goes stale by date). Reminders
    of renewals count down to this day."""
    deadlines = [valid_until]
    if review_interval_days is not None:
        deadlines.append(renewed + timedelta(days=review_interval_days))
    return min((deadline for deadline in deadlines if deadline is not None), default=None)


def best(found: Iterable[Freshness]) -> Freshness:
    """The freshest of several (a requirement's evidence); missing when there is none."""
    order = list(Freshness)
    return min(found, key=order.index, default=Freshness.MISSING)
