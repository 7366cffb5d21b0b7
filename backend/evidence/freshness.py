"""Whether evidence still proves anything today: derived on every read, never stored.

The rule itself is `backend.core.freshness` (shared with the readiness score);
`freshness_sql` is its twin for filtering lists in the database; the tests hold them to the
same answers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, Select, case, cast, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.selectable import LateralFromClause

from backend.core.calendar import Zone, local_date_sql, zoned_date_sql
from backend.core.freshness import SOON, Freshness, best, freshness, renewed_on
from backend.evidence.models import EvidenceItem, EvidenceVersion, VersionStatus

__all__ = [
    "SOON",
    "Freshness",
    "best",
    "freshness",
    "freshness_sql",
    "last_confirmed_lateral",
    "last_confirmed_sql",
    "renewed_on",
]


def freshness_sql(
    valid_until: InstrumentedAttribute[date | None],
    review_interval_days: InstrumentedAttribute[int | None],
    last_confirmed: ColumnElement[datetime | None],
    today: date | ColumnElement[date],
    timezone: Zone | None = None,
) -> ColumnElement[str]:
    """`freshness` as a SQL expression over an item's columns and its last confirmation,
    read as a date in the item's tenant; `today` may itself be SQL (the tenant's date
    computed in the statement), and `timezone` the tenant's, when the statement joined it."""
    renewed = (
        local_date_sql(last_confirmed, EvidenceItem.tenant_id)
        if timezone is None
        else zoned_date_sql(last_confirmed, timezone)
    )
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
    return _last_confirmation().scalar_subquery()


def last_confirmed_lateral() -> LateralFromClause:
    """`last_confirmed_sql` as a LATERAL join (its one column `confirmed`), for a statement
    that reads it more than once per item: it is then found once."""
    return _last_confirmation().correlate(EvidenceItem).lateral("last_confirmed")


def _last_confirmation() -> Select[datetime | None]:
    return select(func.max(EvidenceVersion.confirmed_at).label("confirmed")).where(
        EvidenceVersion.evidence_id == EvidenceItem.id,
        EvidenceVersion.status == VersionStatus.AVAILABLE.value,
    )
