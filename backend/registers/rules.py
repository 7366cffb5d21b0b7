"""What each register accepts, how its rows are scored and when an obligation is next due.

Pure rules, no I/O: the service applies them, the API and the criteria read them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from backend.registers.models import LOWER_LEVELS, ControlLevel, EntryKind

COMMON = frozenset({"title", "description", "owner_id", "review_on", "objective_ids", "action_ids"})
SCORED = frozenset({"likelihood", "impact"})
RESIDUAL = frozenset({"residual_likelihood", "residual_impact"})
OWN_FIELDS: dict[EntryKind, frozenset[str]] = {
    EntryKind.RISK: SCORED | {"nature", "context"},
    EntryKind.SECURITY_RISK: SCORED
    | RESIDUAL
    | {"asset", "threat", "vulnerability", "treatment", "control_refs"},
    EntryKind.ASPECT: SCORED | {"activity", "consequence", "condition", "related_ids"},
    EntryKind.HAZARD: SCORED | RESIDUAL | {"activity", "consequence", "exposed", "controls"},
    EntryKind.OBLIGATION: frozenset({"source", "applicability", "evaluation_months"}),
    EntryKind.INCIDENT: frozenset(
        {"occurred_on", "incident_kind", "severity", "investigation", "related_ids", "finding_ids"}
    ),
    # An improvement's finding or review output is what it was raised from (set by raising).
    EntryKind.IMPROVEMENT: frozenset(
        {"improvement_source", "improvement_status", "benefit", "result", "finding_ids"}
        | {"review_output_id"}
    ),
}
"""The fields of each kind besides the common ones."""

REQUIRED: dict[EntryKind, tuple[str, ...]] = {
    EntryKind.RISK: ("title", "nature"),
    EntryKind.SECURITY_RISK: ("title", "asset", "threat"),
    EntryKind.ASPECT: ("title", "activity", "condition"),
    EntryKind.HAZARD: ("title", "activity"),
    EntryKind.OBLIGATION: ("title", "source", "evaluation_months"),
    EntryKind.INCIDENT: ("title", "occurred_on", "incident_kind", "severity"),
    EntryKind.IMPROVEMENT: ("title", "improvement_source", "benefit"),
}
"""What a new row of each kind must be given."""

PREFIXES = {
    EntryKind.RISK: "R",
    EntryKind.SECURITY_RISK: "ISR",
    EntryKind.ASPECT: "ASP",
    EntryKind.HAZARD: "HAZ",
    EntryKind.OBLIGATION: "OBL",
    EntryKind.INCIDENT: "INC",
    EntryKind.IMPROVEMENT: "IMP",
}

STANDARDS: dict[EntryKind, frozenset[str]] = {
    EntryKind.SECURITY_RISK: frozenset({"27001"}),
    EntryKind.ASPECT: frozenset({"14001"}),
    EntryKind.HAZARD: frozenset({"45001"}),
    EntryKind.OBLIGATION: frozenset({"14001", "45001"}),
    EntryKind.INCIDENT: frozenset({"45001", "27001"}),
}
"""The standards a kind belongs to (by number); the others serve every standard."""

MAX_EVALUATION_MONTHS = 60
MAX_LINKS = 25  # objectives, actions, controls, relations or findings of one row


def standard_number(code: str) -> str | None:
    """The ISO number in a standard's code ("ISO/IEC 27001" -> "27001")."""
    found = re.search(r"\b(9001|14001|45001|27001)\b", code)
    return found.group(1) if found else None


def kind_serves(kind: EntryKind, code: str) -> bool:
    allowed = STANDARDS.get(kind)
    return allowed is None or standard_number(code) in allowed


@dataclass(frozen=True)
class Scales:
    """A tenant's scales (levels 1..n) and the score from which an aspect is significant."""

    likelihood_levels: int = 5
    impact_levels: int = 5
    significance_threshold: int = 8


MIN_LEVELS, MAX_LEVELS = 2, 10  # what the database's checks hold


def level(likelihood: int | None, impact: int | None) -> int | None:
    return likelihood * impact if likelihood is not None and impact is not None else None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_evaluation(evaluated_on: date | None, months: int | None, listed_on: date) -> date | None:
    """An obligation is due again `months` after its last evaluation; one never evaluated is
    due from the day it was listed."""
    if months is None:
        return None
    return listed_on if evaluated_on is None else add_months(evaluated_on, months)


HIGHER = "Only administrative controls and PPE are used: consider elimination, substitution or"
WARNING = f"{HIGHER} engineering controls first."


def hierarchy_warning(levels: Collection[ControlLevel]) -> str | None:
    """A hazard controlled only by the two lowest levels of the hierarchy is flagged."""
    if levels and set(levels) <= LOWER_LEVELS:
        return WARNING
    return None
