"""The harmonized-structure clause a requirement implements, as SQL.

ISO 9001, ISO 14001, ISO 45001 and ISO/IEC 27001 share one clause structure; `clauses.hs_key`
names the shared clause on the clauses that carry one. Sub-clauses without a key of their
own implement the key of the nearest keyed clause above them. Findings (similar
nonconformities) and audits (coverage of integrated audits) both compare requirements of
different standards through it, so it lives with the catalog.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased

from backend.catalog.models import Clause


def harmonized_key(clause: type[Clause]) -> ColumnElement[str | None]:
    """The harmonized clause a requirement implements: its own key, or the key of the nearest
    clause above it that has one (ISO 9001's 5.1.1 implements harmonized 5.1)."""
    keyed = aliased(Clause)
    return (
        select(keyed.hs_key)
        .where(
            keyed.standard_id == clause.standard_id,
            keyed.hs_key.is_not(None),
            or_(keyed.id == clause.id, clause.number.startswith(keyed.number.concat("."))),
        )
        .order_by(func.length(keyed.number).desc())
        .limit(1)
        .correlate(clause)
        .scalar_subquery()
    )
